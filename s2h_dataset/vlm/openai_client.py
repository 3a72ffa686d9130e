"""Generation through any OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, `transformers serve`).

`OpenAIChatClient(base_url, model)` sends greedy requests (`temperature` 0) with the `openai` SDK and
retries connection errors, timeouts, 408, 409, 429 and 5xx answers itself (`max_retries`; waits 0.5, 1, 2,
4, 8, 8 ... s less up to 25 % jitter, or the server's `Retry-After` up to 2 minutes, whatever cap the
installed SDK has), so a server restart costs a pause, not the run. The SDK's own retries are off: a wait
for the next attempt ends at once when `complete_all` stops (Ctrl-C, or another request failed for good),
so nothing keeps retrying behind a finished call; an attempt already sent ends with its answer or timeout. Other 4xx answers
(bad key, unknown model) stop at once with the server's reason. `complete_all` keeps `concurrency` requests
in flight (the SDK's client is synchronous; one shared connection pool). The API key is read from the
environment variable `api_key_env` and only ever put in the Authorization header: errors and logs go
through `redact` and have the key masked, and the client's repr never shows it. OpenAI's organization and
project headers are never sent (the SDK would take them from OPENAI_ORG_ID / OPENAI_PROJECT_ID and send
them to any server). The captioner and eval's `openai:` backend both use this client; use it as a context
manager (or call `close()`).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..errors import UserError
from ..redact import error_line, redact

__all__ = ["OpenAIChatClient", "ServerError", "api_url", "parse_openai_spec"]

logger = logging.getLogger(__name__)

Messages = list[dict[str, Any]]
MAX_RETRY_AFTER = 120.0  # seconds: a longer Retry-After is cut to this


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
    """Whether an answer with this status is retried (the statuses the `openai` SDK retries)."""
    return status in (408, 409, 429) or status >= 500


def _retry_after(headers) -> float | None:
    """The server's wait in seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers.get(name)) * scale
        except (TypeError, ValueError):
            pass
    try:
        return email.utils.parsedate_to_datetime(headers.get("retry-after")).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None


def _delay(attempt: int, headers=None) -> float:
    """Seconds before retry `attempt + 1`: the server's Retry-After (at most `MAX_RETRY_AFTER`), else
    0.5 s doubling up to 8 s, less up to 25 % jitter (the `openai` SDK's backoff)."""
    after = _retry_after(headers) if headers is not None else None
    if after is not None and after > 0:
        return min(after, MAX_RETRY_AFTER)
    return min(0.5 * 2.0 ** min(attempt, 10), 8.0) * (1 - 0.25 * random.random())


def _reply_text(payload: dict) -> str:
    content = payload["choices"][0]["message"].get("content") or ""
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return content


class OpenAIChatClient:
    """Concurrent chat-completions requests with retries.

    base_url: the server's API root (`http://localhost:8000/v1`; a query such as `?api-version=...` goes
    with every request). model: the served model's name. concurrency: requests in flight. timeout: seconds
    per request (at most 10 s to connect). max_retries: attempts after the first one for a retryable failure,
    with the backoff above (0.5 s doubling up to 8 s, or the server's Retry-After; the default 20 waits
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
        # no key: the Authorization header is left out (the SDK would otherwise refuse to send); OpenAI's
        # organization / project headers never go (passing None still reads OPENAI_ORG_ID / _PROJECT_ID)
        self._headers = {"OpenAI-Organization": openai.Omit(), "OpenAI-Project": openai.Omit()}
        if not api_key:
            self._headers["Authorization"] = openai.Omit()
        parts = urlsplit(base_url)
        self.client = openai.OpenAI(
            base_url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            default_query=dict(parse_qsl(parts.query)),
            api_key=api_key or "unused",
            organization=None,
            project=None,
            max_retries=0,  # retried in `complete`, where a stop ends the wait
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
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

    def complete(self, messages: Messages, max_tokens: int, stop: threading.Event | None = None) -> str:
        """One greedy reply, retried as the module describes; `ServerError` when it cannot be had or when
        `stop` is set while waiting to retry."""
        import openai

        stop = stop or threading.Event()  # a fresh event just sleeps
        for attempt in range(self.max_retries + 1):
            try:
                raw = self.client.chat.completions.with_raw_response.create(
                    **self.body(messages, max_tokens), extra_headers=self._headers
                )
            except openai.APIStatusError as err:
                reason = f"HTTP {err.status_code}: {self._excerpt(err.response)}"
                if not _retried(err.status_code):
                    raise ServerError(f"{self._where()} refused the request ({reason})") from None
                delay = _delay(attempt, err.response.headers)
            except openai.APIConnectionError as err:  # connection refused / reset, timeouts, protocol errors
                cause = err.__cause__ or err
                reason, delay = f"{type(cause).__name__}: {self._clean(str(cause))}", _delay(attempt)
            else:
                try:
                    return _reply_text(raw.http_response.json())
                except (ValueError, KeyError, IndexError, TypeError):
                    raise ServerError(
                        f"{self._where()} answered 200 without a chat completion: "
                        f"{self._excerpt(raw.http_response)}"
                    ) from None
            if attempt == self.max_retries:
                raise ServerError(f"{self._where()} failed {attempt + 1} times, last: {reason}")
            with self._count_lock:
                self._retries += 1
            logger.warning(
                "%s: %s; retry %d/%d in %.1f s", self._where(), reason, attempt + 1, self.max_retries, delay
            )
            if stop.wait(delay):
                raise ServerError(f"{self._where()}: stopped while waiting to retry")
        raise AssertionError("unreachable")

    def complete_all(
        self,
        requests: Sequence[Callable[[], Messages | None]],
        max_tokens: int,
        stop: threading.Event | None = None,
    ) -> Iterator[tuple[int, str | None]]:
        """Yield (index, reply) as replies arrive, `concurrency` at a time, in any order.

        Each request is a function that builds its messages in a worker (so images are read lazily, at most
        2 x concurrency at once); one that returns None yields a None reply and is not sent. The first
        `ServerError` stops the rest and is raised: requests not started are dropped, and requests waiting
        to retry give up, as they do when the caller stops early (Ctrl-C, an error, a closed generator) or
        sets `stop`; an early end sets `stop`, so a call sharing it with others ends them too. An attempt
        already sent ends by itself (`timeout`).
        """
        if not requests:
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s2h-openai")
        stop = stop or threading.Event()
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
        except BaseException:  # an error, Ctrl-C or the generator closed early (GeneratorExit)
            stop.set()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _where(self) -> str:
        return redact(self.url)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact(text)

    def _excerpt(self, response) -> str:
        return error_line(self._clean(" ".join(response.text.split()))) or "(empty body)"
