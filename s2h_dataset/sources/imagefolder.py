"""`imagefolder:PATH` - images in `PATH/<label>/<file>`, optional `PATH/captions.jsonl`.

Every file under a label folder is listed (extensions are not trusted: a text file named `.jpg` is caught
when it is decoded and reported as skipped, and so is a file that links outside PATH). Folder names become labels ("golden_retriever" -> "golden
retriever").
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from .base import Record, SourceError
from .confine import open_inside, relative_inside

__all__ = ["imagefolder_records"]


EXAMPLE = '{"file": "<label>/<file>", "caption": "..."}'


def _caption_line(path: Path, number: int, line: str) -> tuple[str, str]:
    """(file, caption) of one captions.jsonl line; `SourceError` naming the line and the field."""
    where = f"{path}:{number}"
    try:
        item = json.loads(line)
    except ValueError:
        raise SourceError(f"{where}: not a JSON line; expected {EXAMPLE}") from None
    if not isinstance(item, dict):
        raise SourceError(f"{where}: a {type(item).__name__}, not an object; expected {EXAMPLE}")
    for field in ("file", "caption"):
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise SourceError(f"{where}: field `{field}` is missing or not text; expected {EXAMPLE}")
    if not relative_inside(item["file"]):
        raise SourceError(f"{where}: field `file` must be relative to the folder (no absolute path or `..`)")
    return item["file"], item["caption"]


def _read_captions(path: Path) -> dict[str, str]:
    captions = {}
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    file, caption = _caption_line(path, number, line)
                    captions[file] = caption
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text; save captions.jsonl as UTF-8") from None
    return captions


def imagefolder_records(root: str | Path) -> list[Record]:
    root = Path(root)
    if not root.is_dir():
        raise SourceError(
            f"imagefolder:{root}: no such folder; pass imagefolder:PATH with PATH/<label>/<image>"
        )
    captions = _read_captions(root / "captions.jsonl") if (root / "captions.jsonl").exists() else {}
    records = []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        label = label_dir.name.replace("_", " ").strip()
        for file in sorted(p for p in label_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = file.relative_to(root).as_posix()
            records.append(
                Record(
                    source_id=f"imagefolder:{root.name}/{relative}",
                    label=label,
                    load=partial(open_inside, root, file),
                    file=file,
                    caption=captions.get(relative),
                )
            )
    if not records:
        raise SourceError(f"imagefolder:{root}: no images found; expected files in PATH/<label>/<image>")
    return records
