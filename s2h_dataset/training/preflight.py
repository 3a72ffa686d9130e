"""Render a sample of rows through the processor before training and fail early, in one line, on the errors
users otherwise meet deep inside a training step (TRL issues 5283 and 5285, LLaMA-Factory 9119):

- the prompt's image parts and the row's images disagree (3 `{"type": "image"}` parts, 4 images);
- the chat template renders a different number of image placeholders than there are images;
- the processor refuses the text + images (its own token-count checks);
- `max_length` would cut image tokens (a shape error in the model) or the completion (silently trains on a
  truncated answer);
- a row has more images than the model family supports, or the sequence is longer than its context.

Rows are rendered exactly as TRL's vision collators do: `prepare_multimodal_messages` +
`trl.data_utils.apply_chat_template` for the text, then `processor(images=..., text=...)`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..redact import error_line

__all__ = ["FAMILY_MAX_IMAGES", "PreflightError", "PreflightReport", "check_row", "preflight"]

logger = logging.getLogger(__name__)

# Families whose processor or model accepts fewer images per sample than a row may carry.
FAMILY_MAX_IMAGES = {"shieldgemma2": 1}


class PreflightError(UserError):
    """A row or setting that would fail (or silently truncate) in training."""


@dataclass
class PreflightReport:
    """What the checked rows need: compare `longest` with `max_length`."""

    rows: int = 0
    images: tuple[int, int] = (0, 0)  # fewest, most images in a row
    prompt_tokens: int = 0  # longest prompt (image tokens included)
    longest: int = 0  # longest prompt + completion
    last_image_token: int = 0  # the largest `max_length` that still cuts an image token, plus one

    @property
    def suggested_max_length(self) -> int:
        return int(math.ceil(self.longest / 64) * 64)

    def summary(self) -> str:
        return (
            f"{self.rows} rows, {self.images[0]}-{self.images[1]} images each; longest prompt {self.prompt_tokens} "
            f"tokens, longest prompt+completion {self.longest} (max_length >= {self.suggested_max_length} keeps all)"
        )


def _placeholder_tokens(processor) -> list[str]:
    tokens = [getattr(processor, name, None) for name in ("image_token", "boi_token")]
    return [t for t in tokens if isinstance(t, str) and t]


def _image_token_id(processor) -> int | None:
    token_id = getattr(processor, "image_token_id", None)
    if token_id is None and getattr(processor, "image_token", None):
        token_id = processor.tokenizer.convert_tokens_to_ids(processor.image_token)
    return token_id


def _count_image_parts(messages) -> int:
    return sum(
        1
        for m in messages
        if isinstance(m.get("content"), list)
        for p in m["content"]
        if p.get("type") == "image"
    )


def check_row(
    processor,
    row: dict,
    where: str,
    *,
    max_length: int | None,
    max_images: int | None,
    context_length: int | None = None,
    completions: tuple[str, ...] = ("chosen", "rejected"),
) -> dict:
    """Check one row; raise `PreflightError` naming the row (`where`) or return its token counts."""
    from trl.data_utils import apply_chat_template, prepare_multimodal_messages

    images = list(row.get("images") or [])
    parts = _count_image_parts(row["prompt"])
    if parts != len(images):
        raise PreflightError(
            f"{where}: the prompt has {parts} image parts but the row has {len(images)} images; "
            "each image needs one {'type': 'image'} part, in order"
        )
    if max_images is not None and len(images) > max_images:
        raise PreflightError(
            f"{where}: {len(images)} images, more than the {max_images} this model takes per row; "
            "rebuild with fewer distractors or raise --max_images if the model allows it"
        )
    example = {"prompt": prepare_multimodal_messages(row["prompt"], images=images)}
    keys = (
        completions if len(completions) == 2 else ("completion",)
    )  # TRL's preference / prompt-completion keys
    example.update(
        {key: prepare_multimodal_messages(row[col]) for key, col in zip(keys, completions, strict=True)}
    )
    try:
        text = apply_chat_template(example, processor)
    except Exception as err:  # a template error message is the most useful thing to show
        raise PreflightError(
            f"{where}: the chat template failed: {error_line(err, None, type(err).__name__)}"
        ) from None
    placeholders = max((text["prompt"].count(t) for t in _placeholder_tokens(processor)), default=len(images))
    if placeholders != len(images):
        raise PreflightError(
            f"{where}: the chat template rendered {placeholders} image placeholders for {len(images)} "
            "images; check the template handles several {'type': 'image'} parts"
        )
    try:
        enc = processor(
            images=images or None, text=[text["prompt"]], add_special_tokens=False, return_tensors="np"
        )
    except Exception as err:  # processors check their own token counts and raise ValueError
        raise PreflightError(
            f"{where}: the processor refused the row: {error_line(err, None, type(err).__name__)}"
        ) from None
    ids = np.asarray(enc["input_ids"][0])
    token_id = _image_token_id(processor)
    positions = np.flatnonzero(ids == token_id) if token_id is not None else np.array([], int)
    if images and token_id is not None and positions.size == 0:
        raise PreflightError(
            f"{where}: {len(images)} images but no image token ({processor.image_token}) in the input ids"
        )
    tok = processor.tokenizer
    completion = max(len(tok(text[key], add_special_tokens=False)["input_ids"]) for key in keys)
    needed = {
        "where": where,
        "images": len(images),
        "prompt": len(ids),
        "completion": completion,
        "total": len(ids) + completion,
        "last_image": int(positions[-1]) + 1 if positions.size else 0,
    }
    _check_lengths([needed], max_length, context_length)
    return needed


def _check_lengths(counts: list[dict], max_length: int | None, context_length: int | None) -> None:
    """Raise for the worst row when `max_length` cuts image tokens or a completion, or the context is too short."""
    longest = max(c["total"] for c in counts)
    if max_length is not None:
        cut = [c for c in counts if c["last_image"] > max_length]
        if cut:
            worst = max(cut, key=lambda c: c["last_image"])
            of = f" in {len(cut)} of {len(counts)} checked rows" if len(counts) > 1 else ""
            raise PreflightError(
                f"{worst['where']}: max_length={max_length} cuts image tokens{of} (the last one is "
                f"token {worst['last_image']} of {worst['prompt']} prompt tokens); raise max_length to "
                f"at least {longest} or set it to None"
            )
        cut = [c for c in counts if c["total"] > max_length]
        if cut:
            worst = max(cut, key=lambda c: c["total"])
            of = f" in {len(cut)} of {len(counts)} checked rows" if len(counts) > 1 else ""
            raise PreflightError(
                f"{worst['where']}: max_length={max_length} cuts the completion{of} ({worst['prompt']} "
                f"prompt + {worst['completion']} completion = {worst['total']} tokens); raise "
                f"max_length to at least {longest} or set it to None"
            )
    if context_length is not None and longest > context_length:
        worst = max(counts, key=lambda c: c["total"])
        raise PreflightError(
            f"{worst['where']}: {worst['total']} tokens exceed the model's context of "
            f"{context_length}; use fewer or smaller images"
        )


def _sample(n: int, rows: int) -> list[int]:
    """`rows` indices spread evenly over `n` rows (all when `rows` is -1 or at least `n`)."""
    if rows < 0 or rows >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, rows).round().astype(int).tolist()))


def preflight(
    processor,
    dataset,
    *,
    max_length: int | None,
    rows: int = 16,
    max_images: int | None = None,
    model_type: str | None = None,
    context_length: int | None = None,
    completions: tuple[str, ...] = ("chosen", "rejected"),
) -> PreflightReport:
    """Check `rows` rows of `dataset` spread over it (-1: all); raise `PreflightError` on the first bad one."""
    if max_images is None:
        max_images = FAMILY_MAX_IMAGES.get(model_type or "")
    columns = dataset.column_names or []  # a streamed dataset may not know its columns before reading
    for column in ("images", "prompt", *completions) if columns else ():
        if column not in columns:
            raise PreflightError(f"the dataset has no `{column}` column (columns: {', '.join(columns)})")
    report = PreflightReport()
    counts = []
    if hasattr(dataset, "__len__"):
        sample = ((index, dataset[index]) for index in _sample(len(dataset), rows))
    else:  # an IterableDataset: its first rows (reading it all only when asked for all)
        sample = enumerate(dataset if rows < 0 else dataset.take(rows))
    for index, row in sample:
        where = f"row {index}" + (f" (id {row['id']})" if "id" in row else "")
        counts.append(
            check_row(processor, row, where, max_length=None, max_images=max_images, completions=completions)
        )
    if counts:
        _check_lengths(counts, max_length, context_length)
        images = [c["images"] for c in counts]
        report = PreflightReport(
            rows=len(counts),
            images=(min(images), max(images)),
            prompt_tokens=max(c["prompt"] for c in counts),
            longest=max(c["total"] for c in counts),
            last_image_token=max(c["last_image"] for c in counts),
        )
    logger.info("preflight passed: %s", report.summary())
    return report
