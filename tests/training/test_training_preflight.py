"""Preflight (`s2h train-check`): rows rendered through each family's processor, one-line failures."""

from __future__ import annotations

import copy

import pytest
from datasets import Dataset, load_dataset

from s2h_dataset import cli
from s2h_dataset.schema import FEATURES
from s2h_dataset.testing import FAMILIES, tiny_vlm_cache
from s2h_dataset.training.preflight import PreflightError, check_row, preflight


@pytest.fixture(scope="module")
def rows(s2h_data):
    return load_dataset(str(s2h_data), "all", split="train")


@pytest.fixture(scope="module")
def processors():
    from transformers import AutoProcessor

    return {family: AutoProcessor.from_pretrained(tiny_vlm_cache(family)) for family in FAMILIES}


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("family", FAMILIES)
def test_built_rows_pass_and_small_max_length_fails(family, rows, processors):
    processor = processors[family]
    report = preflight(processor, rows, max_length=None, rows=6)
    assert report.rows == 6 and report.images == (4, 4)
    assert 0 < report.last_image_token <= report.prompt_tokens < report.longest
    assert preflight(processor, rows, max_length=report.longest, rows=6).longest == report.longest

    with pytest.raises(PreflightError) as err:  # one token short of the longest row: its completion is cut
        preflight(processor, rows, max_length=report.longest - 1, rows=6)
    assert "cuts the completion" in _one_line(err) and f"at least {report.longest}" in str(err.value)

    with pytest.raises(PreflightError) as err:  # short enough to cut into the image tokens
        preflight(processor, rows, max_length=report.last_image_token - 1, rows=6)
    assert "cuts image tokens" in _one_line(err)


def _row(rows, **changes) -> dict:
    row = copy.deepcopy(rows[0])
    row.update(changes)
    return row


def test_mismatched_row_is_named(rows, processors):
    row = _row(rows)
    row["prompt"][0]["content"] = row["prompt"][0]["content"][1:]  # 3 image parts, still 4 images
    bad = Dataset.from_list([rows[1], row], features=FEATURES)
    with pytest.raises(PreflightError) as err:
        preflight(processors["qwen2_5_vl"], bad, max_length=None)
    assert _one_line(err).startswith(
        f"row 1 (id {row['id']}): the prompt has 3 image parts but the row has 4 images"
    )


def test_image_token_typed_in_the_text_is_caught(rows, processors):
    processor = processors["qwen2_vl"]
    row = _row(rows)
    row["prompt"][0]["content"][-1]["text"] += f" {processor.image_token}"
    with pytest.raises(PreflightError) as err:
        check_row(processor, row, "row 0", max_length=None, max_images=None)
    assert "rendered 5 image placeholders for 4 images" in _one_line(err)


def test_more_images_than_the_model_takes(rows, processors):
    with pytest.raises(PreflightError) as err:
        preflight(processors["llava"], rows, max_length=None, rows=2, max_images=3)
    assert "4 images, more than the 3" in _one_line(err)
    with pytest.raises(PreflightError, match="more than the 1"):  # a family with a documented one-image limit
        preflight(processors["gemma3"], rows, max_length=None, rows=2, model_type="shieldgemma2")


def test_context_length(rows, processors):
    with pytest.raises(PreflightError, match="exceed the model's context of 50"):
        preflight(processors["llava"], rows, max_length=None, rows=2, context_length=50)


def test_train_check_command(s2h_data, capsys):
    model = str(tiny_vlm_cache("smolvlm"))
    args = ["train-check", "--model-name-or-path", model, "--dataset-name", str(s2h_data)]
    assert cli.main([*args, "--preflight-rows", "4"]) == 0
    assert "ok, 4 rows, 4-4 images each" in capsys.readouterr().out

    code = cli.main([*args, "--dataset-config", "level2", "--max-length", "16"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "max_length=16 cuts image tokens" in err

    # the old names (before the YAML's) still work for one release, with a rename note each
    code = cli.main(["train-check", "--model", model, "--dataset", str(s2h_data), "--config", "level9"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown level `level9`" in err
    assert "`--config` is now `--dataset-config`" in err and "`--model` is now `--model-name-or-path`" in err
