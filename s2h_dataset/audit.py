"""Bias audit of built rows (VaPR's checks): length ratio, yes-ratio, answer positions, similarity.

A preference pair teaches the wrong lesson when chosen is systematically longer than rejected, when
"yes" is the usual right answer, or when the answer sits at one position; the card reports all three.
The audit streams the text columns shard by shard, so its memory does not grow with the dataset.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from .layout import parse_shard_path

__all__ = ["audit"]

YES_NO = re.compile(r"^\s*(yes|no)\b", re.IGNORECASE)
TEXT_COLUMNS = ["level", "task", "chosen", "rejected", "target", "similarity"]


class _TaskStats:
    def __init__(self):
        self.rows = self.chosen_words = self.rejected_words = self.yes = self.verdicts = self.scored = 0
        self.similarity_sum, self.similarity_max = 0.0, -math.inf

    def add(self, chosen: str, rejected: str, similarity: float | None) -> None:
        self.rows += 1
        self.chosen_words += len(chosen.split())
        self.rejected_words += len(rejected.split())
        verdict = YES_NO.match(chosen)
        if verdict:
            self.verdicts += 1
            self.yes += verdict.group(1).lower() == "yes"
        if similarity is not None and not math.isnan(similarity):
            self.scored += 1
            self.similarity_sum += similarity
            self.similarity_max = max(self.similarity_max, similarity)

    def summary(self, level: int, task: str) -> dict:
        return {
            "level": level,
            "task": task,
            "rows": self.rows,
            "chosen_words": round(self.chosen_words / self.rows, 2),
            "rejected_words": round(self.rejected_words / self.rows, 2),
            "length_ratio": round(self.chosen_words / self.rejected_words, 3),
            "yes_ratio": round(self.yes / self.verdicts, 4) if self.verdicts else None,
            "similarity_mean": round(self.similarity_sum / self.scored, 4) if self.scored else None,
            "similarity_max_kept": round(self.similarity_max, 4) if self.scored else None,
        }


def audit(repo: Path) -> dict:
    """Per-task statistics, target-position histograms per level, and row counts per (level, task, split)."""
    tasks: dict[tuple[int, str], _TaskStats] = defaultdict(_TaskStats)
    positions: dict[int, Counter] = defaultdict(Counter)
    counts: Counter = Counter()
    for shard in sorted(repo.glob("data/level*/*.parquet")):
        name = parse_shard_path(shard.relative_to(repo).as_posix())
        split = name.split if name else shard.name.split("-")[0]
        for row in pq.read_table(shard, columns=TEXT_COLUMNS).to_pylist():
            level, task = row["level"], row["task"]
            tasks[level, task].add(
                row["chosen"][0]["content"][0]["text"],
                row["rejected"][0]["content"][0]["text"],
                row["similarity"],
            )
            counts[level, task, split] += 1
            if row["target"] >= 0:
                positions[level][row["target"]] += 1
    return {
        "tasks": [stats.summary(level, task) for (level, task), stats in sorted(tasks.items())],
        "target_positions": {
            f"level{lv}": [c.get(p, 0) for p in range(max(c) + 1)] for lv, c in sorted(positions.items())
        },
        "counts": counts,
    }
