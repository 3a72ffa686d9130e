"""The Space highlights the image the Level-3 probe would score: both read replies with the one parser,
checked here on the shared reply table (tests/vlm/reply_cases.py)."""

import pytest
from PIL import Image
from space_helpers import ScriptedModel
from vlm.reply_cases import POSITION

from s2h_dataset.eval.items import LETTERS
from s2h_dataset.vlm.replies import read_reply


@pytest.mark.parametrize("case", POSITION, ids=[c.reply[:40] for c in POSITION])
def test_space_pick_is_what_the_probe_scores(case):
    from s2h_dataset.space.search import run_search

    images = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(case.choices)]
    result = run_search(ScriptedModel(case.reply), images, "Which image contains a peacock?", 16)
    choices = tuple(LETTERS[: case.choices])
    probe = read_reply("position", case.reply, choices, tuple(f"Image {i + 1}" for i in range(case.choices)))
    assert result.pick == (None if case.expected is None else case.expected - 1)
    assert (result.pick is None) == (probe.value is None)
    if probe.ok:
        assert choices[result.pick] == probe.value
    else:
        assert result.unreadable == probe.failure  # the demo says why, in the probe's words
