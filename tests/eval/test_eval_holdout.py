"""`--train-dataset`: the probe refuses images that the training build could have trained on."""

import json

import pytest
from eval_fixtures import OracleModel

from s2h_dataset.errors import UserError
from s2h_dataset.eval import EvalConfig, evaluate
from s2h_dataset.eval.holdout import check_holdout as holdout_check
from s2h_dataset.eval.probe import probe_records
from s2h_dataset.layout import REPORT_FILE, split_of


def build_folder(tmp_path, fraction, sources=("emoji", "arithmetic")):
    folder = tmp_path / f"build-{fraction}"
    folder.mkdir()
    report = {"arguments": {"source": list(sources), "test_fraction": fraction, "seed": 0}}
    (folder / REPORT_FILE).write_text(json.dumps(report))
    return folder


def test_probe_images_must_be_held_out_of_the_training_build(tmp_path):
    def check_holdout(dataset, source, seed, holdout):
        return holdout_check(dataset, source, probe_records(source, seed, holdout))

    assert check_holdout(str(build_folder(tmp_path, 0.15)), "emoji", 0, 0.05) > 0  # 5% is inside 15%
    with pytest.raises(UserError, match=r"images the build .* trained on .*--probe-holdout 0.02 or less"):
        check_holdout(str(build_folder(tmp_path, 0.02)), "emoji", 0, 0.05)
    with pytest.raises(UserError, match="trained on"):
        check_holdout(str(build_folder(tmp_path, 0.05)), "emoji", 0, 0.0)  # every image, also training ones
    # a build from other sources shares no images with an emoji probe
    assert check_holdout(str(build_folder(tmp_path, 0.01, ("arithmetic",))), "emoji", 0, 0.05) == 0
    with pytest.raises(UserError, match=r"no build_report\.json"):
        check_holdout(str(tmp_path), "emoji", 0, 0.05)


def test_eval_runs_the_check(tmp_path):
    config = EvalConfig(
        model_name_or_path="m", out=str(tmp_path / "o"), eval_tasks="l3probe", probe_questions=4
    )
    config.train_dataset = str(build_folder(tmp_path, 0.01))
    with pytest.raises(UserError, match="trained on"):
        evaluate(config, OracleModel())
    config.train_dataset = str(build_folder(tmp_path, 0.2))
    results = evaluate(config, OracleModel())
    assert results["l3probe"]["n"] == 4
    # the check is exact, not a rule of thumb: each probe image is on the 20% build's test side
    from s2h_dataset.eval.report import read_predictions

    assert all(
        split_of(s, 0.2) == "test" for r in read_predictions(tmp_path / "o") for s in r["meta"]["source_ids"]
    )
