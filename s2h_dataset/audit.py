"""Bias audit of planned rows (VaPR's checks): length ratio, yes-ratio, answer positions, similarity.

A preference pair teaches the wrong lesson when chosen is systematically longer than rejected, when
"yes" is the usual right answer, or when the answer sits at one position; the card reports all three.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np

from .schema import RowSpec

__all__ = ["audit"]

YES_NO = re.compile(r"^\s*(yes|no)\b", re.IGNORECASE)


def _words(text: str) -> int:
    return len(text.split())


def audit(plans: dict[tuple[int, str], list[RowSpec]]) -> dict:
    """Per-task statistics over all splits, plus target-position histograms per level."""
    by_task: dict[tuple[int, str], list[RowSpec]] = defaultdict(list)
    positions: dict[int, Counter] = defaultdict(Counter)
    for (level, _split), rows in sorted(plans.items()):
        for row in rows:
            by_task[level, row.task].append(row)
            if row.target >= 0:
                positions[level][row.target] += 1
    tasks = []
    for (level, task), rows in sorted(by_task.items()):
        chosen = np.mean([_words(r.chosen) for r in rows])
        rejected = np.mean([_words(r.rejected) for r in rows])
        similarities = [r.similarity for r in rows if not math.isnan(r.similarity)]
        verdicts = [YES_NO.match(r.chosen) for r in rows]
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
