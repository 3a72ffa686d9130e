"""`llava:JSON_PATH:IMAGE_ROOT` - single-image VQA samples in the LLaVA-665k conversation format.

Each sample `{"id", "image", "conversations": [{"from": "human", "value": "<image>\\nQ"}, {"from": "gpt",
"value": "A"}, ...]}` gives one record with its first question/answer turn. Samples without an image (text
only) or with several images are skipped. A malformed sample (no `id`, a turn without `value`, an image
path outside IMAGE_ROOT) is an error naming the file, the sample and the field; a missing image file, or
one that links outside IMAGE_ROOT, is reported as skipped when the build encodes it.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from .base import Record, SourceError
from .confine import open_inside, relative_inside

__all__ = ["llava_records", "parse_llava_spec"]


def parse_llava_spec(arg: str) -> tuple[Path, Path]:
    json_path, sep, image_root = arg.partition(".json:")
    if not sep or not image_root:
        raise SourceError(
            f"llava:{arg}: use llava:JSON_PATH:IMAGE_ROOT (e.g. llava:llava_v1_5_mix665k.json:/data)"
        )
    return Path(json_path + ".json"), Path(image_root)


def _first_turn(where: str, conversations) -> tuple[str, str] | None:
    """The first human question with a gpt answer; `SourceError` naming the field of a malformed turn."""
    if not isinstance(conversations, list):
        raise SourceError(
            f"{where}: field `conversations` must be a list of turns, got {type(conversations).__name__}"
        )
    for number, turn in enumerate(conversations):
        if not isinstance(turn, dict):
            raise SourceError(f"{where}: `conversations[{number}]` must be an object with `from` and `value`")
        for name in ("from", "value"):
            if not isinstance(turn.get(name), str):
                raise SourceError(f"{where}: field `conversations[{number}].{name}` is missing or not text")
    for question, answer in zip(conversations[::2], conversations[1::2]):
        if question["from"] == "human" and answer["from"] == "gpt":
            text = question["value"].replace("<image>", "").strip()
            if text and answer["value"].strip():
                return text, answer["value"].strip()
    return None


def _sample_record(where: str, sample, image_root: Path) -> Record | None:
    """The record of one sample, None for samples this source skips (text only, several images)."""
    if not isinstance(sample, dict):
        raise SourceError(f"{where}: a sample must be a JSON object, got {type(sample).__name__}")
    sample_id = sample.get("id")
    if not isinstance(sample_id, (str, int)) or isinstance(sample_id, bool) or str(sample_id) == "":
        raise SourceError(f"{where}: field `id` is missing or not a string/number")
    where = f"{where} (id {sample_id})"
    image = sample.get("image")
    if image is None or isinstance(image, list):
        return None  # text-only or multi-image samples: not single-image VQA
    if not isinstance(image, str) or not relative_inside(image):
        raise SourceError(
            f"{where}: field `image` {image!r} must be a path relative to IMAGE_ROOT (no absolute path or `..`)"
        )
    turn = _first_turn(where, sample.get("conversations", []))
    if turn is None:
        return None
    return Record(
        source_id=f"llava:{sample_id}",
        label="",
        load=partial(open_inside, image_root, image_root / image),
        file=image_root / image,
        group=f"llava-image:{image}",
        qa=turn,
    )


def llava_records(arg: str) -> list[Record]:
    json_path, image_root = parse_llava_spec(arg)
    try:
        samples = json.loads(json_path.read_text(encoding="utf-8"))
    except RecursionError:  # json's decoder recurses per nesting level
        raise SourceError(
            f"llava:{arg}: cannot read {json_path}: its JSON is nested too deeply; expected a list of samples"
        ) from None
    except (OSError, ValueError) as err:
        raise SourceError(f"llava:{arg}: cannot read {json_path} as a JSON list ({err})") from None
    if not isinstance(samples, list):
        raise SourceError(
            f"llava:{arg}: {json_path} holds a JSON {type(samples).__name__}; expected a list of samples "
            '[{"id", "image", "conversations"}, ...]'
        )
    if not image_root.is_dir():
        raise SourceError(f"llava:{arg}: IMAGE_ROOT {image_root} is not a folder")
    records, first_of = [], {}  # source id -> number of the sample that took it
    for number, sample in enumerate(samples):
        record = _sample_record(f"{json_path}: sample {number}", sample, image_root)
        if record is None:
            continue
        if record.source_id in first_of:
            raise SourceError(
                f"{json_path}: samples {first_of[record.source_id]} and {number} have the same id "
                f'{record.source_id.removeprefix("llava:")} (`5` and `"5"` count as one); give each sample its own id'
            )
        first_of[record.source_id] = number
        records.append(record)
    if not records:
        raise SourceError(f"llava:{arg}: no single-image sample with a question/answer turn in {json_path}")
    return records
