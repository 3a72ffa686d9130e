"""Read a Hub benchmark into units of Questions: local copy or Hub, pinned revision, `--eval-limit` sampling.

`--eval-limit N` takes N questions per task spread evenly over its subtasks (the spec's `subtask_field`, else
its splits when it has several, else its configs), drawn with a seeded shuffle inside each subtask, so a quick run
still covers every subtask. `provenance` records what was read (path or Hub id, requested and resolved
revision, `datasets` fingerprint per unit) for results.json.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..redact import error_line
from .items import Question
from .spec import TaskSpec

__all__ = ["Unit", "even_pick", "even_sample", "load_units", "provenance"]

logger = logging.getLogger(__name__)


@dataclass
class Unit:
    """One (config, split) of a benchmark, rows read lazily."""

    spec: TaskSpec
    config: str
    split: str
    dataset: Any
    source: str = ""
    revision: str | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Iterator[Question]:
        for row in self.dataset:
            yield self.spec.build(row, self.config, self.split)

    def select(self, indices: list[int]) -> Unit:
        return Unit(
            self.spec, self.config, self.split, self.dataset.select(indices), self.source, self.revision
        )

    def subtasks(self) -> list[str]:
        field = self.spec.subtask_field
        if field and field in self.dataset.column_names:
            return [str(v) for v in self.dataset.select_columns([field])[field]]
        name = self.split if len(self.spec.splits) > 1 else self.config
        return [name] * len(self.dataset)


def _configs(spec: TaskSpec, path: str | None) -> tuple[str, ...]:
    """All configs from the Hub; from a local copy, the ones it holds (a partial copy is logged)."""
    if path is None or len(spec.configs) == 1:
        return spec.configs
    import datasets

    present = set(datasets.get_dataset_config_names(path))
    configs = tuple(c for c in spec.configs if c in present)
    if not configs:
        raise UserError(f"{spec.name}: {path} holds none of the configs {', '.join(spec.configs)}")
    if len(configs) < len(spec.configs):
        missing = ", ".join(c for c in spec.configs if c not in present)
        logger.warning(
            "%s: %s holds %d of %d configs; missing: %s",
            spec.name,
            path,
            len(configs),
            len(spec.configs),
            missing,
        )
    return configs


def _load_error(err: Exception, spec: TaskSpec, path: str | None, config: str, split: str, revision) -> str:
    """One line: what could not be loaded and how to fix it (a Hub failure gets the Hub's fix)."""
    from ..hubnet import explain

    what = f"{spec.name}: cannot load {path or spec.hub_id} config `{config}` split `{split}`"
    local = f"pass --dataset-path {spec.name}=LOCAL_COPY to read a local copy"
    if path is None:
        at = f" at --revision {spec.name}={revision}" if revision else ""
        return explain(err, what + at, local)
    reason = error_line(err, default=type(err).__name__)
    return (
        f"{what} ({type(err).__name__}: {reason}); pass --dataset-path {spec.name}=LOCAL_COPY with a folder "
        f"holding a copy of {spec.hub_id}"
    )


def load_units(spec: TaskSpec, path: str | None = None, revision: str | None = None) -> list[Unit]:
    """Every (config, split) of `spec`, from `path` when given, else from the Hub at `revision`."""
    import datasets

    units = []
    for config in _configs(spec, path):
        for split in spec.splits:
            try:
                dataset = datasets.load_dataset(path or spec.hub_id, config, split=split, revision=revision)
            except Exception as err:  # datasets raises many types; the user needs one line and the fix
                raise UserError(_load_error(err, spec, path, config, split, revision)) from None
            units.append(Unit(spec, config, split, dataset, path or spec.hub_id, revision))
    return units


def even_pick(subtasks: list, limit: int, seed: int) -> list[int]:
    """Indices of `limit` items (sorted), round-robin over the subtask names in `subtasks` (one per item),
    a seeded random draw inside each subtask; names are visited in sorted order so the pick is stable."""
    groups: dict[str, list[int]] = {}
    for index, subtask in enumerate(subtasks):
        groups.setdefault(subtask, []).append(index)
    rng = random.Random(seed)
    queues = []
    for name in sorted(groups):
        members = groups[name][:]
        rng.shuffle(members)
        queues.append(members)
    picked: list[int] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
    return sorted(picked)


def even_sample(units: list, limit: int, seed: int) -> list:
    """Keep `limit` rows in total over `units`, spread evenly over their subtasks (`even_pick`)."""
    where = [(u, row) for u, unit in enumerate(units) for row in range(len(unit))]
    subtasks = [subtask for unit in units for subtask in unit.subtasks()]
    keep: dict[int, list[int]] = {}
    for index in even_pick(subtasks, limit, seed):
        u, row = where[index]
        keep.setdefault(u, []).append(row)
    return [unit.select(keep[u]) for u, unit in enumerate(units) if u in keep]


def _resolved_revision(dataset: Any) -> str | None:
    """The Hub commit a dataset was read at: the 40-hex folder of its cache files (None for local files)."""
    for entry in getattr(dataset, "cache_files", None) or ():
        found = re.search(r"/([0-9a-f]{40})/", entry.get("filename", ""))
        if found:
            return found.group(1)
    return None


def provenance(units: list) -> dict[str, Any]:
    """What a task's questions were read from, for results.json."""
    first = units[0]
    return {
        "source": getattr(first, "source", ""),
        "revision": getattr(first, "revision", None),
        "resolved_revision": _resolved_revision(getattr(first, "dataset", None)),
        "fingerprints": {
            f"{u.config}/{u.split}": getattr(u.dataset, "_fingerprint", None)
            for u in units
            if hasattr(u, "dataset")
        },
        "questions": sum(len(u) for u in units),
    }
