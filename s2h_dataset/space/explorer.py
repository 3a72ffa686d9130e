"""Dataset explorer: open a built S2H-DPO dataset (a folder laid out like a Hub repo, or a Hub id), pick a
config, split and row, and get everything a person needs to judge the row.

Datasets are opened with `datasets.load_dataset(SOURCE, CONFIG)` (nothing of ours runs on the reading side)
and kept open per (source, config) for the life of the process. Only the datasets the Space owner lists
are served: `S2H_EXPLORER_DATASETS` (comma-separated folders and Hub ids) plus the one the app was started
with (`DATASET_ID` / `s2h space --dataset`); a visitor's other path or Hub id gets a warning, so the
explorer can neither probe the server's folders nor trigger downloads. The warning names the allowed Hub
ids (public anyway) but never a server folder: it says only how many there are.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import UserError
from ..redact import error_line
from ..schema import CONFIG_LEVELS, message_text

__all__ = [
    "ALLOW_ENV",
    "CONFIGS",
    "ExplorerRow",
    "allow_dataset",
    "allowed_datasets",
    "get_row",
    "open_dataset",
    "random_index",
]

CONFIGS = tuple(CONFIG_LEVELS)
ALLOW_ENV = "S2H_EXPLORER_DATASETS"
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_STARTED_WITH: set[str] = set()  # the dataset the app was started with, allowed with the listed ones


def allow_dataset(source: str | None) -> None:
    """Serve `source` too (the app's own default dataset, chosen by whoever started it)."""
    if source and source.strip():
        _STARTED_WITH.add(source.strip())


def allowed_datasets() -> list[str]:
    """The folders and Hub ids the explorer serves: `S2H_EXPLORER_DATASETS` and the app's default."""
    listed = [entry.strip() for entry in os.environ.get(ALLOW_ENV, "").split(",") if entry.strip()]
    return sorted(set(listed) | _STARTED_WITH)


def _key(source: str) -> str:
    """Folders compare by their real path (`./a`, `a/`, a symlink to it), Hub ids as written."""
    return str(Path(source).expanduser().resolve()) if not _HUB_ID.match(source) else source


def _is_hub_id(entry: str) -> bool:
    """A Hub id, safe to show a visitor; a folder of the server (`runs/out` looks like an id too) is not."""
    return bool(_HUB_ID.match(entry)) and not Path(entry).expanduser().exists()


def _choices(allowed: list[str]) -> str:
    """What a refused visitor may open: the Hub ids by name, the server's folders by count only."""
    if not allowed:
        return f"the Space owner lists them in {ALLOW_ENV}"
    hub = [entry for entry in allowed if _is_hub_id(entry)]
    folders = len(allowed) - len(hub)
    choices = [f"choose one of: {', '.join(hub)}"] if hub else []
    if folders:
        plural = "s" if folders != 1 else ""
        choices.append(
            f"{'or ' if hub else ''}one of the {folders} local dataset{plural} the Space owner set up"
        )
        if _STARTED_WITH:
            choices[-1] += " (reload the page for the one it starts with)"
    return ", ".join(choices)


def _check_allowed(source: str) -> None:
    allowed = allowed_datasets()
    if _key(source) not in {_key(entry) for entry in allowed}:
        raise UserError(f"`{source}` is not one of the datasets this Space serves; {_choices(allowed)}")


def open_dataset(source: str, config: str):
    """`DatasetDict` of `config` from an allowed folder or Hub id; `UserError` naming the fix otherwise."""
    source = (source or "").strip()
    if not source:
        raise UserError(
            "enter a dataset folder (built with `s2h build --out DIR`) or a Hub id like org/s2h-dpo"
        )
    if config not in CONFIGS:
        raise UserError(f"unknown config `{config}`; choose one of {', '.join(CONFIGS)}")
    _check_allowed(source)  # before the cache: an entry removed from the list is no longer served
    return _open_allowed(source, config)


@functools.lru_cache(maxsize=8)
def _open_allowed(source: str, config: str):
    import datasets

    folder = Path(source).expanduser()
    if not folder.is_dir() and not _HUB_ID.match(source):
        raise UserError(f"`{source}` is neither a folder nor a Hub dataset id (org/name); check the path")
    if folder.is_dir() and not (folder / "README.md").is_file():
        raise UserError(
            f"`{source}` has no README.md with `configs:`; point at the folder `s2h build --out` wrote"
        )
    try:
        return datasets.load_dataset(str(folder) if folder.is_dir() else source, config)
    except (ValueError, FileNotFoundError, OSError) as err:
        first = error_line(err, 300, default=type(err).__name__)
        raise UserError(f"cannot open config `{config}` of `{source}`: {first}") from None


def _split(source: str, config: str, split: str):
    ds = open_dataset(source, config)
    if split not in ds:
        raise UserError(f"`{source}` config `{config}` has no split `{split}`; it has {', '.join(ds)}")
    return ds[split]


def random_index(source: str, config: str, split: str, rng: random.Random) -> int:
    return rng.randrange(len(_split(source, config, split)))


@dataclass
class ExplorerRow:
    """One row as the explorer shows it."""

    index: int
    n_rows: int
    id: str
    level: int
    task: str
    images: list[Image.Image]
    prompt: str
    chosen: str
    rejected: str
    target: int
    similarity: float
    meta: dict

    def captions(self) -> list[str]:
        labels = self.meta.get("labels") or []
        out = []
        for i in range(len(self.images)):
            label = f" · {labels[i]}" if i < len(labels) and labels[i] else ""
            target = i == self.target or i in self.meta.get("targets", ())  # attribute_search: 1-2 targets
            out.append(f"Image {i + 1}{' (target)' if target else ''}{label}")
        return out

    def summary_markdown(self) -> str:
        similarity = "not filtered" if math.isnan(self.similarity) else f"{self.similarity:.3f}"
        targets = self.meta.get("targets") or ([self.target] if self.target >= 0 else [])
        target = ", ".join(f"Image {p + 1}" for p in targets) or "none"
        return (
            f"**Row {self.index} of {self.n_rows}** · level **{self.level}** · task **{self.task}** · "
            f"target **{target}** · chosen–rejected similarity **{similarity}**  \n<sub>id `{self.id}`</sub>"
        )


def get_row(source: str, config: str, split: str, index: int) -> ExplorerRow:
    data = _split(source, config, split)
    n_rows = len(data)
    if n_rows == 0:
        raise UserError(f"split `{split}` of config `{config}` is empty; pick another split or config")
    index = int(index)
    if not 0 <= index < n_rows:
        raise UserError(f"row {index} is out of range; `{config}`/`{split}` has rows 0 to {n_rows - 1}")
    row = data[index]
    try:
        meta = json.loads(row.get("meta") or "{}")
    except json.JSONDecodeError:
        meta = {}
    similarity = row.get("similarity")
    return ExplorerRow(
        index=index,
        n_rows=n_rows,
        id=row.get("id", ""),
        level=int(row["level"]),
        task=row["task"],
        images=[image.convert("RGB") for image in row["images"]],
        prompt=message_text(row["prompt"], "\n"),
        chosen=message_text(row["chosen"], "\n"),
        rejected=message_text(row["rejected"], "\n"),
        target=int(row.get("target", -1)),
        similarity=float("nan") if similarity is None else float(similarity),
        meta=meta if isinstance(meta, dict) else {},
    )
