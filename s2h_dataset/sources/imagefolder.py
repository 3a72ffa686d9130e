"""`imagefolder:PATH` - images in `PATH/<label>/<file>`, optional `PATH/captions.jsonl`.

Every file under a label folder is listed (extensions are not trusted: a text file named `.jpg` is caught
when it is decoded and reported as skipped, and so is a file that links outside PATH). Folder names become labels ("golden_retriever" -> "golden
retriever"). Hidden files and folders are not listed, nor any folder that holds a build of ours (an `--out`
or its `.<out>.partial` staging folder left inside PATH): those are logged once and counted in the report.
Captions that name no listed file, and files captioned twice (the last line wins), are counted and logged
once too, with a hint: a captions.jsonl whose paths carry a prefix would otherwise go unused silently.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from functools import partial
from pathlib import Path

from ..labels import normal_label
from ..staging import is_build
from .base import Record, SourceError
from .confine import open_inside, relative_inside

__all__ = ["imagefolder_records"]


logger = logging.getLogger(__name__)

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


def _read_captions(path: Path) -> tuple[dict[str, str], int]:
    """(file -> caption, how many lines caption a file an earlier line captions: the last one wins)."""
    captions, repeated = {}, 0
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    file, caption = _caption_line(path, number, line)
                    repeated += file in captions
                    captions[file] = caption
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text; save captions.jsonl as UTF-8") from None
    return captions, repeated


def _is_our_output(folder: Path) -> bool:
    """A build of ours (`build_report.json` + `data/`) or a build's staging folder (`.<out>.partial`)."""
    return (folder.name.startswith(".") and folder.name.endswith(".partial")) or is_build(folder)


def _image_files(label_dir: Path, outputs: set[Path]) -> list[Path]:
    """Files under `label_dir` in path order, except hidden ones and those in a hidden folder or in one of
    our outputs (each output met is added to `outputs`)."""
    listed: dict[Path, bool] = {label_dir: True}  # folder -> whether its files are source images

    def is_listed(folder: Path) -> bool:
        unknown, above = [], folder
        while above not in listed:
            unknown.append(above)
            above = above.parent
        for below in reversed(unknown):  # top down: under an output or a hidden folder nothing is listed
            ours = listed[below.parent] and _is_our_output(below)
            if ours:
                outputs.add(below)
            listed[below] = listed[below.parent] and not ours and not below.name.startswith(".")
        return listed[folder]

    files = (p for p in label_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return sorted(p for p in files if is_listed(p.parent))


def _log_unused(
    spec: str, captions: dict[str, str], used: set[str], *, repeated: int, example: str, notes
) -> None:
    """Count captions that name no listed file and files captioned twice; log them once with a hint."""
    unknown = len(captions.keys() - used)
    notes["captions_no_file"] += unknown
    notes["captions_duplicate"] += repeated
    if unknown:
        logger.warning(
            "%s: %d of %d captions in captions.jsonl name no image file under %s: paths must be relative to "
            "that folder, like `%s`",
            spec,
            unknown,
            len(captions),
            spec.removeprefix("imagefolder:"),
            example,
        )
    if repeated:
        logger.warning(
            "%s: %d captions.jsonl line(s) caption a file an earlier line captions; the last line wins",
            spec,
            repeated,
        )


def imagefolder_records(root: str | Path, notes: Counter | None = None) -> list[Record]:
    """The folder's records; `notes` counts what was left out (unused captions, builds inside the folder)."""
    root, notes = Path(root), Counter() if notes is None else notes
    spec = f"imagefolder:{root}"
    if not root.is_dir():
        raise SourceError(f"{spec}: no such folder; pass imagefolder:PATH with PATH/<label>/<image>")
    captions, repeated = (
        _read_captions(root / "captions.jsonl") if (root / "captions.jsonl").exists() else ({}, 0)
    )
    records, outputs, used = [], set(), []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if _is_our_output(label_dir):
            outputs.add(label_dir)
        if label_dir in outputs or label_dir.name.startswith("."):
            continue
        label = normal_label(label_dir.name)
        for file in _image_files(label_dir, outputs):
            relative = file.relative_to(root).as_posix()
            used.append(relative)
            records.append(
                Record(
                    source_id=f"imagefolder:{root.name}/{relative}",
                    label=label,
                    load=partial(open_inside, root, file),
                    file=file,
                    caption=captions.get(relative),
                )
            )
    if outputs:
        notes["build_folders_skipped"] += len(outputs)
        logger.warning(
            "%s: skipped %d folder(s) holding an s2h build or its staging (%s): outputs are not source images; "
            "keep --out outside source folders",
            spec,
            len(outputs),
            ", ".join(sorted(p.relative_to(root).as_posix() for p in outputs)),
        )
    if not records:
        raise SourceError(f"{spec}: no images found; expected files in PATH/<label>/<image>")
    _log_unused(spec, captions, set(used), repeated=repeated, example=used[0], notes=notes)
    return records
