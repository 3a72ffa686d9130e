"""`bench/bench_learning.py --tiny`: the plumbing of the with/without-images 2x2 table on a tiny random VLM
(CPU): images change the log-probs, the vision tower gets gradients, two same-seed runs are identical, the
blanked copy holds the same rows with grey images, and both runs and both evaluations are in the report."""

import importlib.util
from pathlib import Path

import datasets
import pytest

from s2h_dataset.eval.blank import GREY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # ~30 s of CPU, ~80 s wall on a shared 2-core machine
def test_tiny_learning_bench_plumbing(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_learning", REPO / "bench" / "bench_learning.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    report = bench.main(["--tiny", "--out", str(tmp_path)])

    checks = report["checks"]
    assert checks["logprob_change"] > 1e-4 and checks["vision_grad_norm"] > 0
    assert checks["repeat_identical"] is True
    # the two trainings saw different pixels: their weights differ (same seed, same rows)
    assert not bench.identical(tmp_path / "train-images", tmp_path / "train-blank-images")

    original = datasets.load_dataset(str(tmp_path / "s2h-dpo"), "level2", split="train")
    blank = datasets.load_dataset(str(tmp_path / "s2h-dpo-blank-images"), "level2", split="train")
    assert original["id"] == blank["id"] and original["chosen"] == blank["chosen"]
    for before, after in zip(original[0]["images"], blank[0]["images"], strict=True):
        assert after.size == before.size and after.convert("RGB").getcolors(1) == [
            (after.width * after.height, GREY)
        ]

    assert set(report["table"]) == {"base", "trained with images", "trained on blank images"}
    for table in report["table"].values():
        assert set(table) == {"s2h_test", "l3probe"}
        for s in table.values():
            assert 0 <= s["with_images"] <= 1 and 0 <= s["blank_images"] <= 1
            assert s["multimodal_gain"] == pytest.approx(s["with_images"] - s["blank_images"])
    assert (tmp_path / "eval-train-images" / "blank-images" / "results.json").is_file()
