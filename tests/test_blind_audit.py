"""The blind audit is a measuring instrument: it must see a text cue when there is one, and not otherwise."""

from __future__ import annotations

import json
import random

from s2h_dataset.card.blind_audit import FLAG, _classifier_accuracy, _length_rule, blind_audit, findings
from s2h_dataset.cli import main

COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "white", "black"]
THINGS = ["apple", "car", "kite", "boat", "lamp", "shoe", "drum", "fish", "cup", "tree"]


def _rows(n: int, leak: bool, seed: int = 0) -> list[tuple[str, str, str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        thing = rng.choice(THINGS)
        a, b = rng.sample(COLOURS, 2)
        chosen = f"A {a} {thing} in the frame."
        # leak: the rejected never names the queried thing, so the prompt-answer overlap gives it away
        rejected = (
            f"A {b} {rng.choice([t for t in THINGS if t != thing])} in the frame."
            if leak
            else (f"A {b} {thing} in the frame.")
        )
        rows.append((f"id{i}", f"Caption the image with a {thing}.", chosen, rejected))
    return rows


def test_classifier_finds_a_text_cue_and_only_then():
    leaky, fair = _rows(400, leak=True), _rows(400, leak=False)
    assert _classifier_accuracy(leaky[:300], leaky[300:])[0] > 0.95
    accuracy, method = _classifier_accuracy(fair[:300], fair[300:])
    assert method == "5-fold CV" and abs(accuracy - 0.5) < 0.1  # 100 test pairs: cross-validated


def test_length_rule_picks_the_better_direction():
    rows = [(f"{i}", "q", "short", "much longer answer") for i in range(9)] + [("x", "q", "same", "same")]
    assert _length_rule(rows) == (0.95, "shorter")
    assert _length_rule([(r[0], r[1], r[3], r[2]) for r in rows]) == (0.95, "longer")


def test_audit_of_a_build_and_the_command(built_dataset, capsys):
    blind = blind_audit(built_dataset)
    report = json.loads((built_dataset / "build_report.json").read_text())
    assert report["blind_audit"] == blind
    tasks = {t["task"] for t in blind}
    assert {"caption_indexed", "compare", "arithmetic", "caption_search", "which_image"} <= tasks
    for t in blind:
        assert 0.0 <= t["length_rule"] <= 1.0 and t["flagged"] == (
            max(t["length_rule"], t["text_classifier"], t["frequency_reader"]) > FLAG
        )
        assert t["flagged"] == bool(findings(t))
    assert "Blind audit" in (built_dataset / "README.md").read_text()
    assert (built_dataset / "plots" / "blind_audit.png").stat().st_size > 1000
    code = main(["audit", str(built_dataset), "--json"])
    assert json.loads(capsys.readouterr().out) == blind
    assert code == (1 if any(t["flagged"] for t in blind) else 0)
    assert main(["audit", str(built_dataset / "nowhere")]) == 2


def test_a_flag_on_few_pairs_says_it_may_be_chance():
    from s2h_dataset.card.audit import blind_section

    def task(name, pairs, accuracy):
        return {
            "level": 2,
            "task": name,
            "train_pairs": pairs,
            "test_pairs": 0,
            "length_rule": accuracy,
            "length_rule_picks": "shorter",
            "text_classifier": 0.5,
            "classifier_scored_on": "5-fold CV",
            "frequency_reader": 0.5,
            "frequency_pairs": pairs,
            "flagged": accuracy > FLAG,
        }

    few = blind_section([task("describe_each", 11, 0.636)])
    assert (
        "**Warning**: `describe_each` (length rule 0.636 on 11 pairs, ±0.30 at 95 %) can be answered" in few
    )
    assert "may be chance on this few pairs" in few
    many = blind_section([task("compare", 1000, 0.7), task("which_image", 1000, 0.5)])
    assert (
        "**Warning**: `compare` (length rule 0.700 on 1000 pairs, ±0.03 at 95 %) can be answered from text alone."
        in many
    )


def test_the_frequency_reader_flags_and_its_margin_decides_a_hold_back():
    """The frequency reader is scored on train pairs only; a flag is `clear` (the build holds the task back)
    only when the figure minus its 95 % margin is still above the flag level."""
    from s2h_dataset.card.audit import blind_section

    entry = {
        "level": 3,
        "task": "caption_search",
        "train_pairs": 900,
        "test_pairs": 50,
        "length_rule": 0.52,
        "length_rule_picks": "shorter",
        "text_classifier": 0.5,
        "classifier_scored_on": "train->test",
        "frequency_reader": 0.98,
        "frequency_pairs": 900,
    }
    [found] = findings(entry)
    assert found["reader"] == "frequency reader" and found["pairs"] == 900 and found["clear"]
    assert not findings({**entry, "frequency_reader": 0.6})
    assert not findings({**entry, "frequency_reader": 0.7, "frequency_pairs": 20})[0]["clear"]  # ±0.22
    assert not findings({k: v for k, v in entry.items() if k != "frequency_reader"})  # an older build's audit
    table = blind_section([entry])
    assert "| 0.980 | above 0.60: frequency reader |" in table
    assert "`caption_search` (frequency reader 0.980 on 900 pairs, ±0.03 at 95 %)" in table
