"""`--backend openai:BASE_URL#MODEL`: eval questions answered by a serving engine (vLLM, SGLang, TGI,
`transformers serve`) through the shared client (`vlm.openai_client`), `--concurrency` requests in flight.

Replies come back in item order, so predictions.jsonl has the same format as with the in-process
backend. Images travel as JPEG data URIs in the item's own part order (`vlm.chat.openai_content`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..vlm.chat import openai_content, user_turn
from ..vlm.openai_client import OpenAIChatClient, ServerError, parse_openai_spec
from .items import Item

__all__ = ["OpenAIGenerator", "openai_generator"]


class OpenAIGenerator:
    """`generate(items)` through an OpenAI-compatible server; `name` is the served model's name."""

    def __init__(self, base_url: str, model: str, concurrency: int = 8, max_new_tokens: int = 128):
        self.client = OpenAIChatClient(base_url, model, concurrency=concurrency)
        self.name, self.max_new_tokens = f"openai:{model}", max_new_tokens
        self.batch_hint = 4 * concurrency  # the runner hands over this many questions at a time

    def messages(self, item: Item) -> list[dict]:
        return user_turn(openai_content(item.content, item.images))

    def generate(self, items: Sequence[Item]) -> list[str]:
        from ..errors import UserError

        replies: list[str | None] = [None] * len(items)
        requests = [lambda item=item: self.messages(item) for item in items]
        try:
            for index, reply in self.client.complete_all(requests, self.max_new_tokens):
                replies[index] = (reply or "").strip()
        except ServerError as err:
            raise UserError(f"--backend: {err}; answers so far are saved, rerun to resume") from None
        return replies

    def close(self) -> None:
        self.client.close()


def openai_generator(config) -> OpenAIGenerator:
    base_url, model = parse_openai_spec(config.backend.removeprefix("openai:"), "`--backend`")
    return OpenAIGenerator(base_url, model, config.concurrency)
