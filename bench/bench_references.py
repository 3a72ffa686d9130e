"""Our parser against each reference's scoring rule (issue #22): agreement on the eval fixtures and readings
on the hand-labelled reply table.

1. Fixtures: every item of the benchmark fixtures (tests/eval_fixtures.py) gets the reply styles of
   bench/bench_parser.py, each phrasing the GOLD answer ("B", "The answer is (B).", "so C.", ...), and the
   two-answer replies ("B or C") that must be wrong. For every (benchmark, reference) pair in
   `eval.references.REFERENCES` it reports how often our verdict (right / wrong) and the reference's agree,
   each one's share right on the gold-phrasing replies, and the styles where they differ.
2. Reply table (tests/vlm/reply_cases.py, letter and yes/no cases): the share each rule reads as labelled.
   A reference reading counts as labelled when it gives the labelled answer, or when the label is a
   failure and the rule gives no valid answer.

No model, no GPU; a few seconds.

    PYTHONPATH=$PWD python bench/bench_references.py [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))


def fixtures() -> dict:
    from bench_parser import ambiguous_replies, items_by_benchmark, replies_for

    from s2h_dataset.eval.references import REFERENCES
    from s2h_dataset.eval.runner import read_record

    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for bench, items in items_by_benchmark(Path(tmp)):
            for (task, protocol), reference in REFERENCES.items():
                if task != bench:
                    continue
                counts = defaultdict(int)
                differ: dict[str, int] = defaultdict(int)
                for item in items:
                    styles = [(s, r, True) for s, r in replies_for(item).items()]
                    styles += [(s, r, False) for s, r in ambiguous_replies(item).items()]
                    for style, reply, phrases_gold in styles:
                        record = {"task": task, **item.record(), "raw": reply}
                        read_record(record)
                        ours = record["parsed"] is not None and record["parsed"] == record["gold"]
                        theirs = reference.read(record)[1]
                        counts["replies"] += 1
                        counts["agree"] += ours == theirs
                        counts["gold replies"] += phrases_gold
                        counts["ours right"] += ours and phrases_gold
                        counts["theirs right"] += theirs and phrases_gold
                        counts["two-answer replies"] += not phrases_gold
                        counts["two-answer scored right, ours"] += ours and not phrases_gold
                        counts["two-answer scored right, theirs"] += theirs and not phrases_gold
                        if ours != theirs:
                            differ[style] += 1
                table[f"{task} / {protocol} ({reference.name})"] = {
                    **counts,
                    "agreement": round(counts["agree"] / counts["replies"], 4),
                    "styles that differ": dict(sorted(differ.items(), key=lambda kv: -kv[1])),
                }
    return table


def reply_table() -> dict:
    from vlm.reply_cases import LETTER, YES_NO

    from s2h_dataset.eval.reference_rules import (
        llava_pope_yes_no,
        lmms_blink_letter,
        lmms_mcq_letter,
        mantis_option,
        vlmevalkit_option,
        vlmevalkit_yes_no,
    )
    from s2h_dataset.vlm.replies import option_text, read_reply

    def letters(case):
        return case.choices if isinstance(case.choices, tuple) else ("A", "B", "C", "D")

    letter_rules = {
        "ours (vlm.replies)": lambda c: read_reply("letter", c.reply, letters(c), c.options).value,
        "lmms-eval BLINK (first letter)": lambda c: lmms_blink_letter(c.reply),
        "lmms-eval MMStar (extract_mcq_answer)": lambda c: lmms_mcq_letter(c.reply, letters(c)),
        "Mantis (first alphabetic character)": lambda c: _mantis_pick(mantis_option, c, letters(c)),
        "VLMEvalKit (exact matching)": lambda c: vlmevalkit_option(
            c.reply, {k: option_text(o) for k, o in zip(letters(c), c.options or [""] * len(letters(c)))}
        ),
    }
    yes_no_rules = {
        "ours (vlm.replies)": lambda c: read_reply("yesno", c.reply).value,
        "lmms-eval POPE (exact match)": lambda c: c.reply.lower().strip(),
        "VLMEvalKit (YOrN_Extraction)": lambda c: vlmevalkit_yes_no(c.reply),
        "LLaVA eval_pope": lambda c: llava_pope_yes_no(c.reply),
    }
    out = {}
    for kind, cases, rules, valid in (
        ("letter", LETTER, letter_rules, lambda c, v: v in letters(c)),
        ("yesno", YES_NO, yes_no_rules, lambda c, v: v in ("yes", "no")),
    ):
        for name, rule in rules.items():
            right = 0
            for case in cases:
                value = rule(case)
                value = value if valid(case, value) else None
                right += value == case.expected
            out[f"{kind}: {name}"] = {
                "cases": len(cases),
                "read as labelled": right,
                "share": round(right / len(cases), 4),
            }
    return out


def _mantis_pick(mantis_option, case, letters):
    """The letter Mantis' rule picks (its reading), whatever the gold: scored against each letter in turn."""
    options = list(case.options) or [f"({k}) option {k}" for k in letters]
    for letter in letters:
        if mantis_option(case.reply, letter, options)[1]:
            return letter
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    figures = {"fixtures": fixtures(), "reply table": reply_table()}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
