"""One evaluation question, in the shape every task turns its rows into and every generator reads.

`Item.messages()` is the chat the model sees: one user message whose content lists `{"type": "image"}`
parts and text parts in the order the benchmark gives them (placeholders such as MANTIS's `<image>` become
image parts where the question puts them). `Item.record()` is what predictions.jsonl keeps of it: enough to
re-extract and re-score the reply without the images or the model.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..images import to_rgb
from ..vlm.chat import user_turn

__all__ = ["LETTERS", "Item", "Question", "format_options", "interleave", "rotations"]

LETTERS = string.ascii_uppercase


@dataclass
class Item:
    """One question.

    id: unique within the task (the benchmark's own id where it has one).
    subtask: the unit results are broken down by (BLINK config, MMStar category, POPE split, probe N).
    images: PIL images, RGB, in the benchmark's order.
    content: the user message's parts: {"type": "image"} (one per image, in order) and {"type": "text"}.
    gold: the canonical answer the extracted reply is compared with (a letter, "yes", "true", ...).
    answer_type: how the reply is read, see `vlm.replies.READ_AS`.
    choices: the valid choice letters (letter / position items); empty otherwise.
    options: the option texts, aligned with `choices`, when the item has them.
    meta: extra fields kept in predictions.jsonl (e.g. the probe's N and target position).
    """

    id: str
    subtask: str
    images: list[Image.Image]
    content: list[dict[str, Any]]
    gold: str
    answer_type: str
    choices: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        n_parts = sum(part["type"] == "image" for part in self.content)
        if n_parts != len(self.images):
            raise ValueError(f"item {self.id}: {n_parts} image parts for {len(self.images)} images")
        self.images = [to_rgb(image) for image in self.images]

    def messages(self, with_images: bool = False) -> list[dict[str, Any]]:
        """The chat: one user message. `with_images` puts each PIL image into its part (`{"image": ...}`)."""
        images = iter(self.images)
        content = []
        for part in self.content:
            part = dict(part)
            if part["type"] == "image" and with_images:
                part["image"] = next(images)
            content.append(part)
        return user_turn(content)

    def prompt_text(self) -> str:
        return "".join("<image>" if p["type"] == "image" else p["text"] for p in self.content)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subtask": self.subtask,
            "gold": self.gold,
            "answer_type": self.answer_type,
            "choices": list(self.choices),
            "options": list(self.options),
            "n_images": len(self.images),
            "prompt": self.prompt_text(),
            **({"meta": self.meta} if self.meta else {}),
        }


@dataclass
class Question:
    """A benchmark row in protocol-neutral form: what every protocol's prompt is rendered from.

    stem: the question without its options. options: option texts without letter prefixes, in order.
    gold: canonical answer (a choice letter for multiple choice). row: the raw row, for renderers that
    use a field of their own (BLINK's `prompt`). rotation: 0, or the CircularEval shift (`rotations`).
    """

    id: str
    subtask: str
    images: list[Image.Image]
    stem: str
    gold: str
    answer_type: str
    options: tuple[str, ...] = ()
    row: dict[str, Any] = field(default_factory=dict)
    config: str = ""
    split: str = ""
    rotation: int = 0
    letters: tuple[str, ...] = ()  # valid letters when the options are not known as texts (MMStar)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(LETTERS[: len(self.options)]) if self.options else self.letters

    def to_item(self, text: str, answer_type: str | None = None) -> Item:
        """The Item whose user turn is `text` with this question's images at its `<image>` placeholders."""
        answer_type = answer_type or self.answer_type
        letters = answer_type in ("letter", "position")
        meta = dict(self.meta)
        if self.rotation or meta.get("circular_of"):
            meta["rotation"] = self.rotation
        return Item(
            id=self.id,
            subtask=self.subtask,
            images=list(self.images),
            content=interleave(text, len(self.images)),
            gold=self.gold,
            answer_type=answer_type,
            choices=self.choices if letters else (),
            options=self.options,
            meta=meta,
        )


def rotations(question: Question) -> list[Question]:
    """CircularEval (VLMEvalKit): the question once per cyclic shift of its options, gold moved along.

    Rotation r shows options[r:] + options[:r]; ids get `#c<r>` and `meta["circular_of"]` names the
    original, so scoring counts the question right only when every rotation is right.
    """
    from ..vlm.replies import option_text

    k = len(question.options)
    if question.answer_type != "letter" or k < 2:
        return [question]
    gold_index = LETTERS.index(question.gold)
    plain = tuple(option_text(o) for o in question.options)  # "(A) red" would keep a stale letter
    out = []
    for r in range(k):
        options = plain[r:] + plain[:r]
        out.append(
            Question(
                **{
                    **question.__dict__,
                    "id": f"{question.id}#c{r}",
                    "options": options,
                    "gold": LETTERS[(gold_index - r) % k],
                    "rotation": r,
                    "meta": {**question.meta, "circular_of": question.id},
                }
            )
        )
    return out


def format_options(options: list[str], choices: tuple[str, ...]) -> str:
    """'(A) red\n(B) blue'; options that already carry their letter ('A. red', '(A) red') are kept as is."""
    lines = []
    for letter, option in zip(choices, options):
        text = option.strip()
        prefixed = text.upper().startswith((f"({letter})", f"{letter}.", f"{letter}:", f"{letter})"))
        lines.append(text if prefixed else f"({letter}) {text}")
    return "\n".join(lines)


def interleave(question: str, n_images: int, placeholder: str = "<image>") -> list[dict[str, Any]]:
    """Split `question` at its placeholders into text and image parts, Mantis-style.

    Images the question has no placeholder for go first, in order (as the MANTIS evaluation does); extra
    placeholders beyond the images are an error in the row.
    """
    count = question.count(placeholder)
    if count > n_images:
        raise ValueError(f"{count} `{placeholder}` placeholders for {n_images} images")
    question = placeholder * (n_images - count) + question
    parts: list[dict[str, Any]] = []
    pieces = question.split(placeholder)
    for i, piece in enumerate(pieces):
        if piece.strip():  # kept as written (Mantis' eval does not strip), whitespace-only pieces dropped
            parts.append({"type": "text", "text": piece})
        if i < len(pieces) - 1:
            parts.append({"type": "image"})
    return parts
