"""`imagefolder:PATH` - images in `PATH/<label>/<file>`, optional `PATH/captions.jsonl`.

Every file under a label folder is listed (extensions are not trusted: a text file named `.jpg` is caught
when it is decoded and reported as skipped). Folder names become labels ("golden_retriever" -> "golden
retriever").
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from PIL import Image

from .base import Record, SourceError

__all__ = ["imagefolder_records"]


def _open(path: Path) -> Image.Image:
    return Image.open(path)


def _read_captions(path: Path) -> dict[str, str]:
    captions = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                captions[item["file"]] = str(item["caption"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise SourceError(
                    f"{path}:{number}: expected a JSON line like "
                    '{"file": "<label>/<file>", "caption": "..."}'
                ) from None
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
                    load=partial(_open, file),
                    caption=captions.get(relative),
                )
            )
    if not records:
        raise SourceError(f"imagefolder:{root}: no images found; expected files in PATH/<label>/<image>")
    return records
