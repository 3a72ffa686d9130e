"""Generation through any OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, `transformers serve`).

`OpenAIChatClient(base_url, model)` sends greedy requests (`temperature` 0) with the `openai` SDK, which
retries connection errors, timeouts, 408, 409, 429 and 5xx answers itself (`max_retries`; waits 0.5, 1, 2,
4, 8, 8 ... s, or the server's `Retry-After` up to 2 minutes), so a server restart costs a pause, not the run.
Other 4xx answers (bad key, unknown model) stop at once with the server's reason. `complete_all` keeps
`concurrency` requests in flight (the SDK's client is synchronous; one shared connection pool). The API key
is read from the environment variable `api_key_env` and only ever put in the Authorization header: errors and
logs go through `redact` and have the key masked, and the client's repr never shows it. The captioner and
eval's `openai:` backend both use this client; use it as a context manager (or call `close()`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..errors import UserError
from ..redact import error_line, redact

__all__ = ["OpenAIChatClient", "ServerError", "api_url", "parse_openai_spec"]

logger = logging.getLogger(__name__)

Messages = list[dict[str, Any]]


class ServerError(RuntimeError):
    """A request that failed for good; the message never contains the API key."""


def parse_openai_spec(rest: str, what: str = "backend") -> tuple[str, str]:
    """`http://host:port/v1#model` (the part after `openai:`) -> (base URL without trailing slash, model)."""
    base_url, sep, model = rest.rpartition("#")
    if not sep or not model or not base_url.startswith(("http://", "https://")):
        raise UserError(
            f"{what} `openai:{redact(rest)}` must be openai:BASE_URL#MODEL, "
            "e.g. openai:http://localhost:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct"
        )
    return base_url.rstrip("/"), model


def api_url(base_url: str, path: str) -> str:
    """`path` joined to the base URL's path, before its query (`http://h/v1?k=v` + `chat/completions` ->
    `http://h/v1/chat/completions?k=v`); a fragment is dropped (it is never sent)."""
    parts = urlsplit(base_url)
    joined = f"{parts.path.rstrip('/')}/{path.lstrip('/')}"
    return urlunsplit((parts.scheme, parts.netloc, joined, parts.query, ""))


def _retried(status: int) -> bool:
    """Whether the `openai` SDK retries an answer with this status (its `_should_retry`)."""
    return status in (408, 409, 429) or status >= 500


def _reply_text(payload: dict) -> str:
    content = payload["choices"][0]["message"].get("content") or ""
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return content


class OpenAIChatClient:
    """Concurrent chat-completions requests with the `openai` SDK's retries.

    base_url: the server's API root (`http://localhost:8000/v1`; a query such as `?api-version=...` goes
    with every request). model: the served model's name. concurrency: requests in flight. timeout: seconds
    per request (at most 10 s to connect). max_retries: attempts after the first one for a retryable failure,
    with the SDK's backoff (0.5 s doubling up to 8 s, or the server's Retry-After; the default 20 waits
    about 2 minutes in all, long enough for a serving engine to restart).
    api_key_env: the environment variable holding the API key (unset: no Authorization header, fine for
    local servers).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 20,
        api_key_env: str = "OPENAI_API_KEY",
    ):
        try:
            import openai
        except ImportError:
            raise UserError(
                "an `openai:` server is reached through the `openai` package: pip install 's2h-dpo[openai]'"
            ) from None

        self.url, self.model = api_url(base_url, "chat/completions"), model
        self.concurrency, self.max_retries = concurrency, max_retries
        self._retries = 0
        self._count_lock = threading.Lock()
        api_key = os.environ.get(api_key_env) or None
        self._secrets = [api_key] if api_key else []
        # no key: the Authorization header is left out (the SDK would otherwise refuse to send)
        self._headers = {} if api_key else {"Authorization": openai.Omit()}
        parts = urlsplit(base_url)
        self.client = openai.OpenAI(
            base_url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            default_query=dict(parse_qsl(parts.query)),
            api_key=api_key or "unused",
            max_retries=max_retries,
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
            http_client=openai.DefaultHttpxClient(
                event_hooks={"request": [self._count_retry], "response": [self._log_failure]}
            ),
        )

    @property
    def retries(self) -> int:
        """Retried attempts so far, for reports."""
        with self._count_lock:
            return self._retries

    def __repr__(self) -> str:
        return f"OpenAIChatClient(url={redact(self.url)!r}, model={self.model!r}, concurrency={self.concurrency})"

    def __enter__(self) -> OpenAIChatClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def body(self, messages: Messages, max_tokens: int) -> dict:
        return {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0}

    def complete(self, messages: Messages, max_tokens: int) -> str:
        """One greedy reply, retried by the SDK as the class describes; `ServerError` when it cannot be had."""
        import openai

        try:
            raw = self.client.chat.completions.with_raw_response.create(
                **self.body(messages, max_tokens), extra_headers=self._headers
            )
        except openai.APIStatusError as err:
            reason = f"HTTP {err.status_code}: {self._excerpt(err.response)}"
            if not _retried(err.status_code):
                raise ServerError(f"{self._where()} refused the request ({reason})") from None
            raise ServerError(
                f"{self._where()} failed {self.max_retries + 1} times, last: {reason}"
            ) from None
        except openai.APIConnectionError as err:  # connection refused / reset, timeouts, protocol errors
            cause = err.__cause__ or err
            reason = f"{type(cause).__name__}: {self._clean(str(cause))}"
            raise ServerError(
                f"{self._where()} failed {self.max_retries + 1} times, last: {reason}"
            ) from None
        try:
            return _reply_text(raw.http_response.json())
        except (ValueError, KeyError, IndexError, TypeError):
            raise ServerError(
                f"{self._where()} answered 200 without a chat completion: {self._excerpt(raw.http_response)}"
            ) from None

    def complete_all(
        self, requests: Sequence[Callable[[], Messages | None]], max_tokens: int
    ) -> Iterator[tuple[int, str | None]]:
        """Yield (index, reply) as replies arrive, `concurrency` at a time, in any order.

        Each request is a function that builds its messages in a worker (so images are read lazily, at most
        2 x concurrency at once); one that returns None yields a None reply and is not sent. The first
        `ServerError` stops the rest (requests not started are dropped) and is raised.
        """
        if not requests:
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s2h-openai")
        pending: dict[Future, int] = {}

        def run(build: Callable[[], Messages | None]) -> str | None:
            messages = build()
            return None if messages is None else self.complete(messages, max_tokens)

        try:
            waiting = iter(range(len(requests)))
            for index in waiting:
                pending[pool.submit(run, requests[index])] = index
                if len(pending) >= 2 * self.concurrency:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    yield index, future.result()
                    nxt = next(waiting, None)
                    if nxt is not None:
                        pending[pool.submit(run, requests[nxt])] = nxt
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _count_retry(self, request) -> None:
        """Count and log a retried attempt (the SDK numbers each attempt in `x-stainless-retry-count`; it
        logs retries itself only at INFO)."""
        retry = int(request.headers.get("x-stainless-retry-count") or 0)
        if retry:
            with self._count_lock:
                self._retries += 1
            logger.warning("%s: retry %d/%d after a failed attempt", self._where(), retry, self.max_retries)

    def _log_failure(self, response) -> None:
        """Say why an attempt failed when the SDK retries it (the retry line follows)."""
        if _retried(response.status_code):
            response.read()
            logger.warning("%s: HTTP %d: %s", self._where(), response.status_code, self._excerpt(response))

    def _where(self) -> str:
        return redact(self.url)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact(text)

    def _excerpt(self, response) -> str:
        return error_line(self._clean(" ".join(response.text.split()))) or "(empty body)"
