"""Bias audit of built rows (VaPR's checks): length ratio, yes-ratio, answer positions, similarity.

A preference pair teaches the wrong lesson when chosen is systematically longer than rejected, when
"yes" is the usual right answer, or when the answer sits at one position; the card reports all three.
The audit streams the text columns shard by shard, so its memory does not grow with the dataset.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from ..layout import parse_shard_path

__all__ = ["audit", "blind_section", "held_back_lines"]

YES_NO = re.compile(r"^\s*(yes|no)\b", re.IGNORECASE)
TEXT_COLUMNS = ["level", "task", "chosen", "rejected", "target", "similarity", "meta"]


class _TaskStats:
    def __init__(self):
        self.rows = self.chosen_words = self.rejected_words = self.yes = self.verdicts = self.scored = 0
        self.similarity_sum, self.similarity_max = 0.0, -math.inf
        self.hard_rows = self.same_subcategory = 0
        self.kinds: Counter = Counter()  # rejected kinds: caption_search negatives, describe_each errors

    def add(self, chosen: str, rejected: str, similarity: float | None, meta: str = "{}") -> None:
        self.rows += 1
        details = json.loads(meta or "{}")
        if "hardness" in details:
            self.hard_rows += 1
            self.same_subcategory += details["hardness"]["same_subcategory"] > 0
        kind = details.get("negative") or details.get("error")
        if kind:
            self.kinds[kind] += 1
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
            "same_subcategory_share": round(self.same_subcategory / self.hard_rows, 4)
            if self.hard_rows
            else None,
            "rejected_kinds": dict(sorted(self.kinds.items())),
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
                row["meta"],
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


def blind_section(
    blind: list[dict], plots: Path | None = None, stats: dict | None = None, held_back: list[dict] = ()
) -> str:
    """The card's blind-audit table (Markdown), its plot written under `plots` when given, and with the
    `audit()` figures in `stats`: hardness (share of rows with a same-subcategory distractor) and the kinds
    of rejected answers per task. `held_back` (`holdback.hold_back`) are the flagged tasks whose rows the
    build dropped: their figures follow the table. Called by the card (which owns the page)."""
    from .blind_audit import FLAG, findings
    from .plots import blind_audit_figure, save

    header = (
        "| level | task | pairs (train / test) | length rule | text classifier | scored on | "
        "frequency reader (train) | flag |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for t in blind:
        found = findings(t)
        flag = "above {:.2f}: {}".format(FLAG, ", ".join(f["reader"] for f in found)) if found else ""
        lines.append(
            f"| {t['level']} | `{t['task']}` | {t['train_pairs']} / {t['test_pairs']} | "
            f"{t['length_rule']:.3f} ({t['length_rule_picks']}) | {t['text_classifier']:.3f} | "
            f"{t['classifier_scored_on']} | {_frequency(t)} | {flag} |"
        )
    flagged = [_flag_note(t) for t in blind if findings(t)]
    verdict = (
        f"**Warning**: {', '.join(note for note, _ in flagged)} can be answered from text alone"
        + (
            f" (where the 95 % margin reaches below {FLAG:.2f}, the figure may be chance on this few pairs)."
            if any(near for _, near in flagged)
            else "."
        )
        if flagged
        else f"Every task {'that ships ' if held_back else ''}is at most {FLAG:.2f}: no task can be answered "
        "from its text alone."
    )
    if held_back:
        verdict += "\n\n" + held_back_lines(held_back)
    if plots is not None and blind:
        save(blind_audit_figure(blind, FLAG), plots / "blind_audit.png")
    return "\n".join(lines) + "\n\n" + verdict + (_hardness_lines(stats) if stats else "")


def _frequency(t: dict) -> str:
    value = t.get("frequency_reader")  # absent in the audits of older builds
    return "–" if value is None or math.isnan(value) else f"{value:.3f}"


def _finding_text(f: dict) -> str:
    return f"{f['reader']} {f['accuracy']:.3f} on {f['pairs']} pairs, ±{f['margin']:.2f} at 95 %"


def _flag_note(t: dict) -> tuple[str, bool]:
    """ "`task` (length rule 0.636 on 11 pairs, ±0.30 at 95 %)" and whether every flagging figure's margin
    reaches the flag level."""
    from .blind_audit import findings

    found = findings(t)
    return f"`{t['task']}` ({'; '.join(_finding_text(f) for f in found)})", not any(f["clear"] for f in found)


def held_back_lines(held_back: list[dict]) -> str:
    """The card's entry for the tasks a build held back: which task, which reader, the figure."""
    from .blind_audit import FLAG

    lines = [
        f"- level {h['level']} `{h['task']}`: {h['rows']} rows not shipped; "
        + "; ".join(_finding_text(f) for f in h["findings"] if f["clear"])
        for h in held_back
    ]
    return (
        f"**Held back**: these tasks are above {FLAG:.2f} beyond their 95 % margin, so their rows were dropped "
        "from this build (`s2h build --keep-flagged` ships them):\n\n" + "\n".join(lines)
    )


def _hardness_lines(stats: dict) -> str:
    lines = []
    for t in stats["tasks"]:
        parts = []
        if t.get("same_subcategory_share") is not None:
            parts.append(
                f"{t['same_subcategory_share']:.0%} of rows hold a distractor from the target's subcategory"
            )
        if t.get("rejected_kinds"):
            parts.append("rejected: " + ", ".join(f"{k} {n}" for k, n in t["rejected_kinds"].items()))
        if parts:
            lines.append(f"- `{t['task']}`: " + "; ".join(parts) + ".")
    return ("\n\nHardness and negatives:\n\n" + "\n".join(lines)) if lines else ""
