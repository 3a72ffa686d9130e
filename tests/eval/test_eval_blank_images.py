"""`--blank-images`: every task (the probe and s2h_test included) sees one mid-grey image of each original's
size; `both` reports the run with images, the blanked one and the multi-modal gain (MMStar's MG)."""

import json

import pytest
from eval_fixtures import OracleModel, build_all

from s2h_dataset.errors import UserError
from s2h_dataset.eval import EvalConfig
from s2h_dataset.eval.blank import BLANK_DIR, GREY
from s2h_dataset.eval.lmms_layout import read_results
from s2h_dataset.eval.model_index import eval_results
from s2h_dataset.eval.report import RESULTS_JSON, RESULTS_MD, markdown_table
from s2h_dataset.eval.runner import run_eval


def _blank(image) -> bool:
    return image.convert("RGB").getcolors(1) == [(image.width * image.height, GREY)]


class LooksAtImages(OracleModel):
    """The oracle while it sees pixels; "A" (and chosen below rejected) when every image is blank. It records
    each image's size and blankness as it saw them."""

    name = "looks"

    def __init__(self):
        self.seen = []  # (task-independent) (size, blank) per image shown

    def generate(self, items):
        replies = OracleModel.generate(self, items)
        out = []
        for item, reply in zip(items, replies, strict=True):
            blank = [_blank(im) for im in item.images]
            self.seen += [(im.size, b) for im, b in zip(item.images, blank, strict=True)]
            out.append("A" if all(blank) else reply)
        return out

    def score(self, rows):
        out = []
        for row in rows:
            blank = [_blank(im) for im in row["images"]]
            self.seen += [(im.size, b) for im, b in zip(row["images"], blank, strict=True)]
            out.append((-1.0, 0.0) if all(blank) else (0.0, -1.0))
        return out


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def test_blank_images_both_reports_the_multimodal_gain(bench, built_dataset, tmp_path):
    model = LooksAtImages()
    config = EvalConfig(
        model_name_or_path="scripted",
        out=str(tmp_path / "run"),
        eval_tasks="blink,l3probe,s2h_test",
        dataset_path=[f"blink={bench['blink']}"],
        test_dataset=str(built_dataset),
        probe_questions=12,
        eval_limit=6,
        blank_images="both",
    )
    results = run_eval(config, model)
    # half of what it saw was blank, and a blanked image kept the original's size
    blanks = [size for size, blank in model.seen if blank]
    assert blanks and len(blanks) == len(model.seen) - len(blanks)
    assert sorted(blanks) == sorted(size for size, blank in model.seen if not blank)

    blanked = read_results(tmp_path / "run" / BLANK_DIR / RESULTS_JSON)
    for task in ("blink", "l3probe", "s2h_test"):
        scores = results[task]
        key = scores["blank_images"]["metric"]
        assert scores[key] == 1.0  # the oracle, with its images
        assert scores[f"{key}_blank_images"] == blanked[task][key] < 1.0
        assert scores["multimodal_gain"] == pytest.approx(1.0 - blanked[task][key])
    assert results["s2h_test"]["multimodal_gain"] == 1.0  # blank: rejected above chosen on every row

    document = json.loads((tmp_path / "run" / RESULTS_JSON).read_text())
    assert "multimodal_gain,none" in document["results"]["blink"]
    assert "Without the images" in (tmp_path / "run" / RESULTS_MD).read_text()
    assert "multi-modal gain" in markdown_table(results)  # the table the training card carries
    index = eval_results(results, "me/s2h-dpo")
    gains = [r for r in index if r.metric_type == "multimodal_gain"]
    assert {round(r.metric_value, 2) for r in gains} == {
        round(100 * results[t]["multimodal_gain"], 2) for t in ("blink", "l3probe", "s2h_test")
    }


def _blink(bench, out, **settings) -> EvalConfig:
    return EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        eval_tasks="blink",
        dataset_path=[f"blink={bench['blink']}"],
        **settings,
    )


@pytest.mark.parametrize(
    "rerun, changed",
    [
        ({"eval_limit": None}, "`eval_limit` was 4, now null"),  # a rerun without --eval-limit
        ({"eval_limit": 4, "protocol": "lmms-eval", "resume": "fresh"}, "`protocol` was"),
    ],
    ids=["no-limit", "other-protocol"],
)
def test_blank_run_of_other_settings_gives_no_gain(bench, tmp_path, caplog, rerun, changed):
    """OUT/blank-images stays from an earlier `both` run; a later run into OUT with another limit or protocol
    reports no multi-modal gain (the two runs asked other questions, or asked them otherwise) and says why."""
    out = tmp_path / "run"
    first = run_eval(_blink(bench, out, eval_limit=4, blank_images="both"), LooksAtImages())
    assert "multimodal_gain" in first["blink"]
    again = run_eval(_blink(bench, out, **rerun), LooksAtImages())
    assert again["blink"]["accuracy"] == 1.0 and "multimodal_gain" not in again["blink"]
    assert "multimodal_gain,none" not in json.loads((out / RESULTS_JSON).read_text())["results"]["blink"]
    said = [r.getMessage() for r in caplog.records if "no multi-modal gain" in r.getMessage()]
    assert len(said) == 1 and changed in said[0] and BLANK_DIR in said[0]
    # the blanked run's settings again: the gain is back where OUT holds the same questions; after the
    # unlimited run OUT also holds answers beyond the limit, and their count says so
    back = run_eval(_blink(bench, out, eval_limit=4, resume="fresh"), LooksAtImages())["blink"]
    if "protocol" in rerun:
        assert "multimodal_gain" in back
    else:
        assert "multimodal_gain" not in back and "questions scored without images" in caplog.text


def test_blank_images_choice_is_checked():
    with pytest.raises(UserError, match="--blank-images maybe"):
        EvalConfig(model_name_or_path="scripted", out="x", blank_images="maybe")
