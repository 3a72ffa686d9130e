"""Hold back a flagged task: a task whose pairs can be told apart without the images does not ship silently.

After the shards are written, the build runs the blind audit (`card/blind_audit.py`). A task whose figure on any
reader is above `FLAG` beyond its 95 % margin (`clearly_flagged`: the interval's lower bound is above the
flag level, so the figure is no accident of few pairs) is held back: its rows are dropped from every shard
(`writer.drop_tasks`), one warning line names the task, the reader and the figure, and the card and
`build_report.json` (`held_back`) list it. `--keep-flagged` ships it anyway, with a warning, and `s2h
validate` then lets it pass. A flag whose margin reaches below the flag level is reported, not acted on.

Holding back never empties a level's split that had rows: that is an error (one line) instead, like a level
no task of which the sources can make.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from .card.blind_audit import FLAG, findings
from .errors import UserError
from .layout import parse_shard_path
from .writer import drop_tasks

__all__ = ["hold_back"]

logger = logging.getLogger(__name__)


def _figures(entry: dict) -> str:
    """ "frequency reader 0.982 on 850 pairs (±0.03 at 95 %)" for each reader clearly above the flag."""
    return "; ".join(
        f"{f['reader']} {f['accuracy']:.3f} on {f['pairs']} pairs (±{f['margin']:.2f} at 95 %)"
        for f in findings(entry)
        if f["clear"]
    )


def _check_not_emptied(blind: list[dict], held: list[dict]) -> None:
    """An error when holding back `held` leaves a level's split without rows."""
    gone = {(t["level"], t["task"]) for t in held}
    for level in sorted({t["level"] for t in held}):
        for split, count in (("train", "frequency_pairs"), ("test", "test_pairs")):
            had = [t for t in blind if t["level"] == level and t.get(count, 0) > 0]
            if had and all((t["level"], t["task"]) in gone for t in had):
                names = ", ".join(
                    f"`{t['task']}` ({_figures(t)})" for t in had if (t["level"], t["task"]) in gone
                )
                raise UserError(
                    f"every task of level {level}'s {split} split is flagged by the blind audit (above "
                    f"{FLAG:.2f}: {names}), so holding them back leaves it empty; rebuild with "
                    f"--keep-flagged to ship them, or drop level {level} from --levels"
                )


def hold_back(
    repo: Path, blind: list[dict], keep: bool, forget=lambda paths: None
) -> tuple[list[dict], list[dict], list[str]]:
    """Drop the rows of every clearly flagged task of `blind` (`blind_audit(repo)`) from the shards of
    `repo`, unless `keep` (`--keep-flagged`). Returns the audit entries of the tasks that ship, one record
    per task held back (level, task, rows dropped, the readers' findings) and the shard paths rewritten.
    `forget` is called with the paths of every shard that may be rewritten, before the first is."""
    flagged = [t for t in blind if t.get("clearly_flagged")]
    if keep:
        for t in flagged:
            logger.warning(
                "level %d `%s` is flagged by the blind audit (%s) and ships anyway (--keep-flagged)",
                t["level"],
                t["task"],
                _figures(t),
            )
        return blind, [], []
    if not flagged:
        return blind, [], []
    _check_not_emptied(blind, flagged)
    tasks_of: dict[int, set[str]] = {}
    for t in flagged:
        tasks_of.setdefault(t["level"], set()).add(t["task"])
    rewritten: list[str] = []
    dropped: Counter = Counter()
    targets = [
        (path, name.level)
        for shard in sorted(Path(repo).glob("data/level*/*.parquet"))
        if (name := parse_shard_path(path := shard.relative_to(repo).as_posix())) and name.level in tasks_of
    ]
    # a build drops the content keys of every shard about to be rewritten before touching one, so a kill in
    # the middle never leaves a shortened shard under the key of the whole one
    forget([path for path, _ in targets])
    for path, level in targets:
        counts = drop_tasks(Path(repo) / path, tasks_of[level])
        dropped.update({(level, task): n for task, n in counts.items()})
        if counts:
            rewritten.append(path)
    held = []
    for t in flagged:
        rows = dropped[t["level"], t["task"]]
        held.append({"level": t["level"], "task": t["task"], "rows": rows, "findings": findings(t)})
        logger.warning(
            "level %d `%s` held back: the blind audit tells chosen from rejected without the images "
            "(%s; flag %.2f), so its %d rows are not shipped; --keep-flagged ships them",
            t["level"],
            t["task"],
            _figures(t),
            FLAG,
            rows,
        )
    shipped = [t for t in blind if not t.get("clearly_flagged")]
    return shipped, held, rewritten
