"""Small pieces on their own: the near-synonym guard, image normalisation, planning balance."""

import numpy as np
import pytest
from PIL import Image

from s2h_dataset.captioners import ReferenceCaptioner
from s2h_dataset.images import to_rgb
from s2h_dataset.labels import conflicts, with_article
from s2h_dataset.levels import LevelContext
from s2h_dataset.plan import plan_rows, split_of
from s2h_dataset.sources import load_sources


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("car", "racing car", True),
        ("clock11", "clock1130", True),
        ("umbrella", "closed umbrella", True),
        ("cats", "cat", True),
        ("peacock", "lamp", False),
        ("dog face", "face with tears", False),  # "face" is a stopword in emoji names
    ],
)
def test_conflicts(a, b, expected):
    assert conflicts(a, b) is expected


def test_articles():
    assert with_article("umbrella") == "an umbrella"
    assert with_article("peacock") == "a peacock"


def test_to_rgb_converts_modes():
    rgba = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    assert to_rgb(rgba).getpixel((0, 0)) == (255, 255, 255)  # transparent -> white
    sixteen = Image.fromarray(np.full((16, 16), 65535, dtype=np.uint16))
    assert to_rgb(sixteen).getpixel((0, 0)) == (255, 255, 255)
    cmyk = Image.new("CMYK", (16, 16), (0, 0, 0, 0))
    assert to_rgb(cmyk).mode == "RGB"


def test_split_is_stable_and_near_fraction():
    ids = [f"x:{i}" for i in range(4000)]
    test = [i for i in ids if split_of(i, 0.1) == "test"]
    assert 0.08 < len(test) / len(ids) < 0.12
    assert test == [i for i in ids if split_of(i, 0.1) == "test"]


def test_plan_balances_positions_without_filter():
    sources = load_sources(["emoji"], seed=0)
    ctx = LevelContext(sources.objects, [], 4, "train")
    captioner = ReferenceCaptioner()
    rows = plan_rows(3, "train", ctx, 400, seed=3, captioner=captioner, scorer=None, quantile=1.0)
    assert len(rows) == 400 and len({r.id for r in rows}) == 400
    counts = np.bincount([r.target for r in rows], minlength=4)
    assert counts.tolist() == [50 * 2] * 4  # 200 rows per task, exactly balanced blocks of 4
    again = plan_rows(3, "train", ctx, 400, seed=3, captioner=captioner, scorer=None, quantile=1.0)
    assert [r.id for r in again] == [r.id for r in rows]
    other = plan_rows(3, "train", ctx, 400, seed=4, captioner=captioner, scorer=None, quantile=1.0)
    assert [r.id for r in other] != [r.id for r in rows]


def test_reference_caption_depends_only_on_image():
    record = load_sources(["emoji"], seed=0).objects[0]
    captioner = ReferenceCaptioner()
    assert captioner.caption(record) == captioner.caption(record)
    assert record.label in captioner.caption(record)
