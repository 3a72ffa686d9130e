"""`openai:BASE_URL#MODEL`: captions from any OpenAI-compatible chat-completions server.

vLLM, SGLang, TGI or `transformers serve` run the model; this process only sends requests through
`vlm.openai_client.OpenAIChatClient` (retries, concurrency, API-key secrecy): images as JPEG
data URIs, greedy decoding. Images are loaded in the client's workers, at most 2 x concurrency at a time.
`openai:URL1,URL2,...#MODEL` names several servers of one model (one per GPU node): request i goes to
server i mod n, `--concurrency` at a time on each.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

from ..errors import UserError
from ..vlm.chat import images_then_text, openai_content, user_turn
from ..vlm.openai_client import OpenAIChatClient, ServerError
from .cache import CaptionCache
from .config import CaptionerConfig
from .model import Job, ModelCaptioner

__all__ = ["OpenAICaptioner"]

logger = logging.getLogger(__name__)


class OpenAICaptioner(ModelCaptioner):
    """Concurrent chat-completions requests with retries, set up by a `CaptionerConfig` (`openai:`): its
    `concurrency`, `timeout`, `max_retries` and `api_key_env` go to `OpenAIChatClient`."""

    def __init__(self, config: CaptionerConfig, cache: CaptionCache | None):
        model = config.endpoint[1]
        super().__init__(f"openai:{model}", model, cache, config.max_image_side)
        self.max_new_tokens = config.max_new_tokens
        # one client per server of `openai:URL1,URL2,...#MODEL`; the name, the cache keys and so the rows do
        # not depend on which server answered
        self.clients = [
            OpenAIChatClient(
                base_url,
                model,
                config.concurrency,
                config.timeout,
                config.max_retries,
                api_key_env=config.api_key_env,
            )
            for base_url, model in config.endpoints
        ]
        self.client = self.clients[0]

    @property
    def retries(self) -> int:
        return sum(client.retries for client in self.clients)

    def __repr__(self) -> str:
        return f"OpenAICaptioner({self.client!r})"

    def close(self) -> None:
        for client in self.clients:
            client.close()
        super().close()

    def stats(self) -> dict:
        return {**super().stats(), "retries": self.retries}

    @staticmethod
    def messages(job: Job) -> list[dict] | None:
        images = job.images()
        if images is None:
            return None
        return user_turn(openai_content(images_then_text(len(images), job.prompt), images))

    def generate(self, jobs: list[Job]) -> Iterator[tuple[int, str | None]]:
        requests = [lambda job=job: self.messages(job) for job in jobs]
        try:
            if len(self.clients) == 1:
                yield from self.client.complete_all(requests, self.max_new_tokens)
            else:
                yield from _spread(self.clients, requests, self.max_new_tokens)
        except ServerError as err:
            raise UserError(f"{err}; replies received so far are cached, rerun to resume") from None


def _spread(
    clients: list[OpenAIChatClient], requests: list, max_tokens: int
) -> Iterator[tuple[int, str | None]]:
    """`complete_all` over several servers: request i goes to server i mod n, each server's requests run in
    a thread of their own; (index, reply) pairs are yielded as they arrive, the first error is raised. One
    `stop` event is shared by every server's call: an error or Ctrl-C ends every server's retries."""
    replies: queue.Queue = queue.Queue()
    stop = threading.Event()
    parts = [list(range(i, len(requests), len(clients))) for i in range(len(clients))]

    def run(client: OpenAIChatClient, part: list[int]) -> None:
        try:
            for index, reply in client.complete_all([requests[i] for i in part], max_tokens, stop):
                if stop.is_set():
                    break
                replies.put((part[index], reply))
        except BaseException as err:  # handed to the caller's thread
            replies.put(err)
        finally:
            replies.put(None)

    threads = [
        threading.Thread(target=run, args=pair, daemon=True) for pair in zip(clients, parts) if pair[1]
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = replies.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
