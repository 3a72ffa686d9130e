"""`openai:BASE_URL#MODEL`: captions from any OpenAI-compatible chat-completions server.

vLLM, SGLang, TGI or `transformers serve` run the model; this process only sends requests: images as base64
JPEG data URLs, greedy decoding (`temperature` 0), `concurrency` requests in flight (a thread pool over one
`httpx.Client`). Connection errors, timeouts, 429 and 5xx answers are retried with exponential backoff
(honouring `Retry-After`), so a server restart in the middle of a build costs a pause, not the build.
Other 4xx answers (bad key, unknown model) stop at once with the server's reason. The API key is read from
the environment variable `api_key_env` and only ever put in the Authorization header: never in logs,
errors or reprs.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import random
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import httpx

from ..errors import UserError
from .cache import CaptionCache
from .model import Job, ModelCaptioner

__all__ = ["OpenAICaptioner", "parse_spec"]

logger = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class ServerError(RuntimeError):
    """A request that failed for good; the message never contains the API key."""


def parse_spec(rest: str) -> tuple[str, str]:
    """`http://host:port/v1#model` -> (base URL without trailing slash, model)."""
    base_url, sep, model = rest.rpartition("#")
    if not sep or not model or not base_url.startswith(("http://", "https://")):
        raise UserError(
            f"captioner `openai:{rest}` must be openai:BASE_URL#MODEL, e.g. openai:http://localhost:8000/v1#Qwen/Qwen2.5-VL-7B-Instruct"
        )
    return base_url.rstrip("/"), model


def data_url(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _reply_text(payload: dict) -> str:
    content = payload["choices"][0]["message"].get("content") or ""
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return content


class OpenAICaptioner(ModelCaptioner):
    """Concurrent chat-completions requests with retries.

    base_url: the server's API root (`http://localhost:8000/v1`). model: the served model's name.
    concurrency: requests in flight. timeout: seconds per request. max_retries: attempts after the first
    one for a retryable failure, waiting 0.5, 1, 2, 4, ... s (at most `max_backoff`) in between: the
    defaults wait about 2.5 minutes in all, long enough for a serving engine to restart. api_key_env: the environment
    variable holding the API key (unset: no Authorization header, fine for local servers).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        cache: CaptionCache | None,
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 10,
        max_backoff: float = 30.0,
        api_key_env: str = "OPENAI_API_KEY",
        max_new_tokens: int = 256,
        max_image_side: int = 768,
    ):
        super().__init__(f"openai:{model}", model, cache, max_image_side)
        self.url = f"{base_url}/chat/completions"
        self.concurrency, self.max_retries, self.max_backoff = concurrency, max_retries, max_backoff
        self.max_new_tokens = max_new_tokens
        self.retries = 0  # retried attempts, for the build report
        self._count_lock = threading.Lock()
        api_key = os.environ.get(api_key_env) or None
        self._secrets = [api_key] if api_key else []
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )

    def __repr__(self) -> str:
        return f"OpenAICaptioner(url={self.url!r}, model={self.model!r}, concurrency={self.concurrency})"

    def close(self) -> None:
        self.client.close()

    def stats(self) -> dict:
        return {**super().stats(), "retries": self.retries}

    def body(self, job: Job, images) -> dict:
        content = [{"type": "image_url", "image_url": {"url": data_url(image)}} for image in images]
        content.append({"type": "text", "text": job.prompt})
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": content}],
            "max_tokens": self.max_new_tokens,
            "temperature": 0,
        }

    def generate(self, jobs: list[Job]) -> Iterator[tuple[int, str | None]]:
        if not jobs:
            return
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s2h-caption")
        stop = threading.Event()  # set when this call ends early: workers stop retrying
        pending: dict[Future, int] = {}
        try:
            waiting = iter(range(len(jobs)))
            for index in waiting:  # keep at most 2x concurrency jobs queued: images are loaded lazily
                pending[pool.submit(self._complete, jobs[index], stop)] = index
                if len(pending) >= 2 * self.concurrency:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    yield index, future.result()
                    nxt = next(waiting, None)
                    if nxt is not None:
                        pending[pool.submit(self._complete, jobs[nxt], stop)] = nxt
        except ServerError as err:
            raise UserError(f"{err}; replies received so far are cached, rerun to resume") from None
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _complete(self, job: Job, stop: threading.Event) -> str | None:
        images = job.images()
        if images is None:
            return None
        body = self.body(job, images)
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
                            f"{self.url} answered 200 without a chat completion: {self._excerpt(response)}"
                        ) from None
                reason = f"HTTP {response.status_code}: {self._excerpt(response)}"
                if response.status_code not in RETRY_STATUS:
                    raise ServerError(f"{self.url} refused the request ({reason})")
                retry_after = response.headers.get("retry-after")
            if attempt == self.max_retries:
                raise ServerError(f"{self.url} failed {attempt + 1} times, last: {reason}")
            delay = self._delay(attempt, retry_after)
            with self._count_lock:
                self.retries += 1
            logger.warning(
                "%s: %s; retry %d/%d in %.1f s", self.url, reason, attempt + 1, self.max_retries, delay
            )
            if stop.wait(delay):
                raise ServerError(f"{self.url}: stopped while waiting to retry")
        raise AssertionError("unreachable")

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
        return text

    def _excerpt(self, response: httpx.Response) -> str:
        return self._clean(" ".join(response.text.split())[:200]) or "(empty body)"
