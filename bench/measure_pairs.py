"""Figures of #9 for a built folder (before or after the change): blind audit, hardness, operands, defects.

Usage: python bench/measure_pairs.py BUILD_DIR [BUILD_DIR ...]

- blind audit per task (length rule, text classifier), as `s2h audit` computes it;
- share of L1 / L3 rows holding a distractor from the target's emoji subcategory (labels are looked up in
  the bundled labels.jsonl, by label or by the old shortcode label, so older builds can be measured too);
- arithmetic: share of zero operands, share of rows with two or more non-zero named operands;
- caption defects: odd articles ("a sushi", "an euro"), "there are a", "1 ... squares", a lost article
  before a singular label ending in s ("shows minibus"), claims that may be false ("plain background",
  "centred", "close-up"), shortcode labels; distinct `caption_indexed` chosen captions, and the share of
  L1 chosen captions that are another row's rejected.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from s2h_dataset.card.blind_audit import blind_audit
from s2h_dataset.sources.emoji import EMOJI_DIR

MASS = {
    "sushi",
    "rice",
    "popcorn",
    "spaghetti",
    "curry",
    "ramen",
    "bread",
    "tea",
    "sake",
    "champagne",
    "broccoli",
    "salt",
    "butter",
    "garlic",
    "falafel",
    "yarn",
    "thread",
    "soap",
    "wood",
    "luggage",
}
FALSE_CLAIMS = ("plain background", "centred", "close-up")
SHORTCODE = re.compile(
    r"\b(clock\d+|cow2|dog2|cat2|pig2|tiger2|rabbit2|mouse2|whale2|train2|star2|tada|zap|hocho|8ball|tophat|icecream|hotdog|mag|mega|moyai|pencil2)\b"
)


def _text(messages) -> str:
    return " ".join(p["text"] for m in messages for p in m["content"] if p["type"] == "text" and p["text"])


def main(folder: Path) -> dict:
    items = [json.loads(line) for line in (EMOJI_DIR / "labels.jsonl").read_text().splitlines()]
    subcategory = {i["label"]: i["subcategory"] for i in items} | {
        i.get("shortcode", i["label"]): i["subcategory"] for i in items
    }
    rows = [
        r
        for f in sorted(folder.glob("data/level*/*.parquet"))
        for r in pq.read_table(
            f, columns=["level", "task", "chosen", "rejected", "target", "meta"]
        ).to_pylist()
    ]
    figures: dict = {"rows": len(rows)}
    hard = Counter()
    for r in rows:
        meta = json.loads(r["meta"])
        if r["level"] in (1, 3) and r["target"] >= 0 and r["task"] != "vqa_gold":
            labels = meta["labels"]
            sub = subcategory.get(labels[r["target"]])
            hard[r["level"], "rows"] += 1
            hard[r["level"], "same"] += any(
                subcategory.get(x) == sub for i, x in enumerate(labels) if i != r["target"]
            )
    figures["same_subcategory_share"] = {
        f"level{lv}": round(hard[lv, "same"] / hard[lv, "rows"], 4) for lv in (1, 3) if hard[lv, "rows"]
    }
    arithmetic = [json.loads(r["meta"]) for r in rows if r["task"] == "arithmetic"]
    operands = []
    for meta in arithmetic:
        values = meta.get("operands")
        if values is None:  # older builds: recompute from the tracked counts of the named images
            from s2h_dataset.sources.arithmetic import _layout

            values = []
            for p in meta["named"]:
                _, seed, index = meta["sources"][p].split(":")
                values.append(sum(f"{c} {s}" == meta["unit"] for c, s, _ in _layout(int(seed), int(index))))
        operands.append(values)
    if operands:
        flat = [v for o in operands for v in o]
        figures["arithmetic"] = {
            "rows": len(operands),
            "zero_operand_share": round(sum(v == 0 for v in flat) / len(flat), 4),
            "two_nonzero_share": round(sum(sum(v > 0 for v in o) >= 2 for o in operands) / len(operands), 4),
            "errors": dict(Counter(m["error"] for m in arithmetic)),
        }
    texts = [t for r in rows for t in (_text(r["chosen"]), _text(r["rejected"]))]
    defects = Counter()
    for t in texts:
        defects["odd_article"] += len(
            re.findall(r"\ba (" + "|".join(MASS) + r")(?=[.,;]| is| in| on| and)", t)
        ) + len(re.findall(r"\ban (euro|unicorn|one)\b", t))
        defects["there_are_a"] += len(re.findall(r"\bthere are an? \b", t, re.IGNORECASE))
        defects["one_plural"] += len(re.findall(r"(?<!Image )\b1 (?:more )?[a-z]+ [a-z]+s\b", t))
        defects["lost_article"] += len(
            re.findall(r"\b(shows|is|of) (minibus|bus|trolleybus|octopus|cactus|hibiscus|abacus)\b", t)
        )
        defects["false_claim"] += sum(c in t for c in FALSE_CLAIMS)
        defects["shortcode"] += len(SHORTCODE.findall(t))
    figures["defects_per_1000_texts"] = {
        k: round(1000 * v / len(texts), 1) for k, v in sorted(defects.items())
    }
    l1 = [r for r in rows if r["task"] == "caption_indexed"]
    chosen = [_text(r["chosen"]) for r in l1]
    rejected = {_text(r["rejected"]) for r in l1}
    figures["caption_indexed"] = {
        "distinct_chosen": len(set(chosen)),
        "chosen_is_another_rows_rejected": round(sum(c in rejected for c in chosen) / max(len(chosen), 1), 4),
    }
    figures["blind_audit"] = [
        {k: t[k] for k in ("level", "task", "length_rule", "text_classifier", "classifier_scored_on")}
        for t in blind_audit(folder)
    ]
    return figures


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(json.dumps({"folder": arg, **main(Path(arg))}, indent=1))
