"""`openai:BASE_URL#MODEL`: captions from any OpenAI-compatible chat-completions server.

vLLM, SGLang, TGI or `transformers serve` run the model; this process only sends requests through
`vlm.openai_client.OpenAIChatClient` (concurrency, retries with backoff, API-key secrecy): images as JPEG
data URIs, greedy decoding. Images are loaded in the client's workers, at most 2 x concurrency at a time.
"""

from __future__ import annotations

import logging
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
    `concurrency`, `timeout`, `max_retries`, `max_backoff` and `api_key_env` go to `OpenAIChatClient`."""

    def __init__(self, config: CaptionerConfig, cache: CaptionCache | None):
        base_url, model = config.endpoint
        super().__init__(f"openai:{model}", model, cache, config.max_image_side)
        self.max_new_tokens = config.max_new_tokens
        self.client = OpenAIChatClient(
            base_url,
            model,
            config.concurrency,
            config.timeout,
            config.max_retries,
            config.max_backoff,
            api_key_env=config.api_key_env,
        )

    @property
    def retries(self) -> int:
        return self.client.retries

    def __repr__(self) -> str:
        return f"OpenAICaptioner({self.client!r})"

    def close(self) -> None:
        self.client.close()
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
            yield from self.client.complete_all(requests, self.max_new_tokens)
        except ServerError as err:
            raise UserError(f"{err}; replies received so far are cached, rerun to resume") from None
