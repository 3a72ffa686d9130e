"""The one reply parser against the shared table, through the call eval's runner makes for every item."""

import pytest
from vlm.reply_cases import CASES, POSITION

from s2h_dataset.eval.items import LETTERS
from s2h_dataset.vlm.replies import READ_AS, read_position, read_reply, read_short


def _expected_value(case):
    if case.kind == "position" and case.expected is not None:
        return LETTERS[case.expected - 1]
    return case.expected


def _choices(case):
    return tuple(LETTERS[: case.choices]) if isinstance(case.choices, int) else case.choices


def test_the_table_is_big_enough_and_covers_every_type():
    assert len(CASES) >= 100
    assert {c.kind for c in CASES} == set(READ_AS) - {"short"}
    assert len({(c.kind, c.reply, c.choices, c.options) for c in CASES}) == len(CASES), "duplicate cases"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}:{c.reply[:40]}" for c in CASES])
def test_reply_table(case):
    reading = read_reply(case.kind, case.reply, _choices(case), case.options)
    assert reading.value == _expected_value(case), reading
    assert reading.ok == (case.expected is not None)
    if not reading.ok:
        assert reading.failure  # every failure says why


@pytest.mark.parametrize("case", POSITION, ids=[c.reply[:40] for c in POSITION])
def test_positions_are_image_numbers(case):
    assert read_position(case.reply, case.choices).value == case.expected


def test_failures_name_their_reason():
    assert "2 different answers" in read_reply("letter", "B or C", "ABCD").failure
    assert read_reply("letter", "", "ABCD").failure == "empty reply"
    assert "but there are 4" in read_position("Image 6", 4).failure
    assert "cannot tell" in read_reply("yesno", "I can't tell.").failure


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Final Answer: 3", "3"),
        ("The answer is Paris.", "Paris"),
        ("two", "two"),
        ('Answer: "blue"', "blue"),
        ("", None),
    ],
)
def test_short(reply, expected):
    assert read_short(reply).value == expected


def test_short_dispatch_is_case_insensitive():
    assert read_reply("short", "Final Answer: PARIS").value == "paris"


def test_unknown_type():
    with pytest.raises(ValueError, match="unknown answer type"):
        read_reply("essay", "x")


def test_no_heavy_imports():
    """The parser sits at the bottom of the import graph: importing it pulls in neither torch nor transformers."""
    import subprocess
    import sys

    code = (
        "import sys, s2h_dataset.vlm.replies; "
        "print(','.join(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
