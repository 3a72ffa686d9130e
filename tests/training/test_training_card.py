"""Model card contents, and `eval_tasks`: the evaluation harness after training, its table in the card."""

from __future__ import annotations

import logging
import sys

import pytest
from huggingface_hub import ModelCard

from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.training.eval_hook import run_eval_tasks
from s2h_dataset.training.model_card import CardInfo, model_card


def _info(**changes) -> CardInfo:
    info = dict(
        method="DPO",
        base_model="Qwen/Qwen2.5-VL-7B-Instruct",
        dataset_name="org/s2h-dpo",
        mixture={"mode": "flat", "levels": ["level1", "level2", "level3"], "rows_per_level": {"level1": 3}},
        hyperparameters={"beta": 0.1, "lora_target_modules": "a|b"},
        model_name="q-s2h",
        use_peft=True,
    )
    return CardInfo(**{**info, **changes})


def test_hub_ids_go_in_the_header_local_paths_only_in_the_body(tmp_path):
    card = ModelCard(str(model_card(_info())))
    assert card.data.base_model == "Qwen/Qwen2.5-VL-7B-Instruct" and card.data.datasets == ["org/s2h-dpo"]
    assert card.data.library_name == "peft" and {"trl", "dpo", "s2h-dpo", "multi-image", "lora"} <= set(
        card.data.tags
    )
    assert "| `lora_target_modules` | a\\|b |" in card.text  # a pipe inside a cell does not break the table
    assert "PeftModel.from_pretrained" in card.text

    local = ModelCard(
        str(model_card(_info(base_model=str(tmp_path), dataset_name=str(tmp_path), use_peft=False)))
    )
    assert local.data.base_model is None and local.data.datasets is None and str(tmp_path) in local.text
    assert local.data.library_name == "transformers" and "lora" not in local.data.tags


def test_eval_table_goes_into_the_card():
    text = str(
        model_card(
            _info(eval_results={"l3probe": {}}, eval_table="| benchmark | score |\n|---|---|\n| L3 | 31.0 |")
        )
    )
    assert "| L3 | 31.0 |" in text and "Not evaluated" not in text
    assert "Not evaluated" in str(model_card(_info()))


def test_eval_hook_skips_cleanly_without_the_harness(monkeypatch, tmp_path, caplog):
    monkeypatch.setitem(sys.modules, "s2h_dataset.eval", None)  # as if the harness were not installed
    with caplog.at_level(logging.WARNING):
        assert run_eval_tasks(tmp_path, ["l3probe"], tmp_path / "eval") is None
    assert "eval_tasks=l3probe skipped" in caplog.text
    assert run_eval_tasks(tmp_path, [], tmp_path / "eval") is None


@pytest.mark.slow
def test_dpo_with_eval_tasks_puts_the_probe_in_the_card(dpo_script, train_argv, tmp_path):
    out = tmp_path / "out"
    dpo_script.main(
        [
            *train_argv(tiny_vlm_cache("qwen3_vl"), out),
            "--eval_tasks",
            "l3probe",
            "--eval_limit",
            "3",
        ]
    )
    card = (out / "README.md").read_text()
    assert "Level-3 probe" in card and "| 3 |" in card  # the harness's table, 3 questions
    assert (out / "eval" / "results.json").is_file() and (out / "eval" / "predictions.jsonl").is_file()


def test_curriculum_stage_section_names_start_and_reference():
    stage = {
        "index": 2,
        "of": 3,
        "spec": "1;2;3",
        "levels": ["level2"],
        "started_from": "runs/x/stage-1-level1",
    }
    dpo = str(model_card(_info(stage=stage)))
    assert (
        "this is stage 2 of 3 (level2)" in dpo
        and "`runs/x/stage-1-level1` and used it as its reference" in dpo
    )
    sft = str(model_card(_info(method="SFT", stage=stage)))
    assert "started from `runs/x/stage-1-level1`" in sft and "reference model" not in sft
    assert "curriculum" not in str(model_card(_info())).split("## Training")[0]
