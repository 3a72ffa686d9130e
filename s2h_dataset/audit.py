"""Bias audit of built rows (VaPR's checks): length ratio, yes-ratio, answer positions, similarity.

A preference pair teaches the wrong lesson when chosen is systematically longer than rejected, when
"yes" is the usual right answer, or when the answer sits at one position; the card reports all three.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

__all__ = ["audit", "read_rows"]

YES_NO = re.compile(r"^\s*(yes|no)\b", re.IGNORECASE)


TEXT_COLUMNS = ["level", "task", "chosen", "rejected", "target", "similarity"]


def read_rows(repo: Path) -> dict[tuple[int, str], list[dict]]:
    """The text columns of every shard in a built folder, by (level, split); images are not read."""
    rows: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for shard in sorted(repo.glob("data/level*/*.parquet")):
        level, split = int(shard.parent.name[len("level"):]), shard.name.split("-")[0]
        for row in pq.read_table(shard, columns=TEXT_COLUMNS).to_pylist():
            row["chosen"], row["rejected"] = (row[k][0]["content"][0]["text"] for k in ("chosen", "rejected"))
            rows[level, split].append(row)
    return rows


def _words(text: str) -> int:
    return len(text.split())


def audit(rows_by_split: dict[tuple[int, str], list[dict]]) -> dict:
    """Per-task statistics over all splits, plus target-position histograms per level."""
    by_task: dict[tuple[int, str], list[dict]] = defaultdict(list)
    positions: dict[int, Counter] = defaultdict(Counter)
    for (level, _split), rows in sorted(rows_by_split.items()):
        for row in rows:
            by_task[level, row["task"]].append(row)
            if row["target"] >= 0:
                positions[level][row["target"]] += 1
    tasks = []
    for (level, task), rows in sorted(by_task.items()):
        chosen = np.mean([_words(r["chosen"]) for r in rows])
        rejected = np.mean([_words(r["rejected"]) for r in rows])
        similarities = [r["similarity"] for r in rows if r["similarity"] is not None and not math.isnan(r["similarity"])]
        verdicts = [YES_NO.match(r["chosen"]) for r in rows]
        yes = [v.group(1).lower() == "yes" for v in verdicts if v]
        tasks.append(
            {
                "level": level,
                "task": task,
                "rows": len(rows),
                "chosen_words": round(float(chosen), 2),
                "rejected_words": round(float(rejected), 2),
                "length_ratio": round(float(chosen / rejected), 3),
                "yes_ratio": round(sum(yes) / len(yes), 4) if yes else None,
                "similarity_mean": round(float(np.mean(similarities)), 4) if similarities else None,
                "similarity_max_kept": round(float(np.max(similarities)), 4) if similarities else None,
            }
        )
    histograms = {
        f"level{level}": [counter.get(p, 0) for p in range(max(counter) + 1)] for level, counter in sorted(positions.items())
    }
    return {"tasks": tasks, "target_positions": histograms}
