"""Generation through any OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, `transformers serve`).

`OpenAIChatClient(base_url, model)` sends greedy requests (`temperature` 0), `concurrency` in flight (a
thread pool over one `httpx.Client`), and retries connection errors, timeouts, 429 and 5xx answers with
exponential backoff (honouring `Retry-After`), so a server restart costs a pause, not the run. Other 4xx
answers (bad key, unknown model) stop at once with the server's reason. The API key is read from the
environment variable `api_key_env` and only ever put in the Authorization header: errors and logs go
through `redact` and have the key masked, and the client's repr never shows it. The captioner and eval's
`openai:` backend both use this client; use it as a context manager (or call `close()`).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import UserError
from ..redact import error_line, redact

__all__ = ["RETRY_STATUS", "OpenAIChatClient", "ServerError", "api_url", "parse_openai_spec"]

logger = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
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


def _reply_text(payload: dict) -> str:
    content = payload["choices"][0]["message"].get("content") or ""
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return content


class OpenAIChatClient:
    """Concurrent chat-completions requests with retries.

    base_url: the server's API root (`http://localhost:8000/v1`). model: the served model's name.
    concurrency: requests in flight. timeout: seconds per request. max_retries: attempts after the first
    one for a retryable failure, waiting 0.5, 1, 2, 4, ... s (at most `max_backoff`) in between: the
    defaults wait about 2.5 minutes in all, long enough for a serving engine to restart. api_key_env: the
    environment variable holding the API key (unset: no Authorization header, fine for local servers).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 10,
        max_backoff: float = 30.0,
        api_key_env: str = "OPENAI_API_KEY",
    ):
        import httpx

        self.url, self.model = api_url(base_url, "chat/completions"), model
        self.concurrency, self.max_retries, self.max_backoff = concurrency, max_retries, max_backoff
        self.retries = 0  # retried attempts, for reports
        self._count_lock = threading.Lock()
        api_key = os.environ.get(api_key_env) or None
        self._secrets = [api_key] if api_key else []
        self.client = httpx.Client(
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )

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

    def complete(self, messages: Messages, max_tokens: int, stop: threading.Event | None = None) -> str:
        """One greedy reply, retried as the class describes; `ServerError` when it cannot be had."""
        import httpx

        body = self.body(messages, max_tokens)
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.post(self.url, json=body)
            except httpx.TransportError as err:  # connection refused / reset, timeouts, protocol errors
                reason, retry_after = f"{type(err).__name__}: {self._clean(str(err))}", None
            else:
                if response.status_code == 200:
                    try:
                        return _reply_text(response.json())
                    except (ValueError, KeyError, IndexError, TypeError):
                        raise ServerError(
                            f"{self._where()} answered 200 without a chat completion: {self._excerpt(response)}"
                        ) from None
                reason = f"HTTP {response.status_code}: {self._excerpt(response)}"
                if response.status_code not in RETRY_STATUS:
                    raise ServerError(f"{self._where()} refused the request ({reason})")
                retry_after = response.headers.get("retry-after")
            if attempt == self.max_retries:
                raise ServerError(f"{self._where()} failed {attempt + 1} times, last: {reason}")
            delay = self._delay(attempt, retry_after)
            with self._count_lock:
                self.retries += 1
            logger.warning(
                "%s: %s; retry %d/%d in %.1f s", self._where(), reason, attempt + 1, self.max_retries, delay
            )
            if (stop or threading.Event()).wait(delay):  # a fresh event just sleeps
                raise ServerError(f"{self._where()}: stopped while waiting to retry")
        raise AssertionError("unreachable")

    def complete_all(
        self, requests: Sequence[Callable[[], Messages | None]], max_tokens: int
    ) -> Iterator[tuple[int, str | None]]:
        """Yield (index, reply) as replies arrive, `concurrency` at a time, in any order.

        Each request is a function that builds its messages in a worker (so images are read lazily, at most
        2 x concurrency at once); one that returns None yields a None reply and is not sent. The first
        `ServerError` stops the rest (workers waiting to retry give up) and is raised.
        """
        if not requests:
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s2h-openai")
        stop = threading.Event()  # set when this call ends early: workers stop retrying
        pending: dict[Future, int] = {}

        def run(build: Callable[[], Messages | None]) -> str | None:
            messages = build()
            return None if messages is None else self.complete(messages, max_tokens, stop)

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
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _where(self) -> str:
        return redact(self.url)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff)
            except ValueError:
                pass
        return min(0.5 * 2.0**attempt, self.max_backoff) * random.uniform(0.75, 1.0)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact(text)

    def _excerpt(self, response) -> str:
        return error_line(self._clean(" ".join(response.text.split()))) or "(empty body)"
