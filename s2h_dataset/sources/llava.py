"""`llava:JSON_PATH:IMAGE_ROOT` - single-image VQA samples in the LLaVA-665k conversation format.

Each sample `{"id", "image", "conversations": [{"from": "human", "value": "<image>\\nQ"}, {"from": "gpt",
"value": "A"}, ...]}` gives one record with its first question/answer turn. Samples without an image (text
only) or with several images are skipped. A missing image file is reported when the build encodes it.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from PIL import Image

from .base import Record, SourceError

__all__ = ["llava_records", "parse_llava_spec"]


def parse_llava_spec(arg: str) -> tuple[Path, Path]:
    json_path, sep, image_root = arg.partition(".json:")
    if not sep or not image_root:
        raise SourceError(
            f"llava:{arg}: use llava:JSON_PATH:IMAGE_ROOT (e.g. llava:llava_v1_5_mix665k.json:/data)"
        )
    return Path(json_path + ".json"), Path(image_root)


def _first_turn(conversations: list[dict]) -> tuple[str, str] | None:
    for question, answer in zip(conversations[::2], conversations[1::2]):
        if question.get("from") == "human" and answer.get("from") == "gpt":
            text = question["value"].replace("<image>", "").strip()
            if text and answer["value"].strip():
                return text, answer["value"].strip()
    return None


def llava_records(arg: str) -> list[Record]:
    json_path, image_root = parse_llava_spec(arg)
    try:
        samples = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SourceError(f"llava:{arg}: cannot read {json_path} as a JSON list ({err})") from None
    records = []
    for sample in samples:
        image = sample.get("image")
        turn = _first_turn(sample.get("conversations", []))
        if not isinstance(image, str) or turn is None:
            continue
        records.append(
            Record(
                source_id=f"llava:{sample['id']}",
                label="",
                load=partial(Image.open, image_root / image),
                group=f"llava-image:{image}",
                qa=turn,
            )
        )
    if not records:
        raise SourceError(f"llava:{arg}: no single-image sample with a question/answer turn in {json_path}")
    return records
