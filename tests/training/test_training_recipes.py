"""Every recipe parses through the scripts' own parser, keeps the paper's hyper-parameters, and is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "training" / "recipes").glob("*/*/*/config_*.yaml"))
MODELS = (
    "llava-hf/llava-1.5-7b-hf",
    "Qwen/Qwen2.5-VL-7B-Instruct",
    "Qwen/Qwen3-VL-2B-Instruct",
    "HuggingFaceTB/SmolVLM-Instruct",
    "google/gemma-3-4b-it",
)


def _parse(path: Path, *overrides: str):
    """The parser `training/dpo.py` / `training/sft.py` builds, on `--config path` (+ overrides)."""
    from trl import DPOConfig, ModelConfig, SFTConfig, TrlParser

    from s2h_dataset.training import S2HScriptArguments

    config_cls = DPOConfig if path.parent.name == "dpo" else SFTConfig
    # `--use_cpu` only so bf16 recipes validate on a CPU machine; everything else comes from the file
    return TrlParser((S2HScriptArguments, config_cls, ModelConfig)).parse_args_and_config(
        ["--config", str(path), "--use_cpu", "true", *overrides]
    )


def test_every_model_has_a_dpo_lora_recipe_and_one_family_an_sft_recipe():
    found = {str(p.relative_to(REPO / "training" / "recipes").parent.parent) for p in RECIPES}
    assert found == set(MODELS)
    for model in MODELS:
        assert (REPO / "training" / "recipes" / model / "dpo" / "config_lora.yaml").is_file()
    assert any(p.parent.name == "sft" for p in RECIPES)


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO / "training" / "recipes")))
def test_recipe_parses_with_paper_hyperparameters(path):
    script_args, training_args, model_args = _parse(path)
    assert model_args.model_name_or_path == str(path.relative_to(REPO / "training" / "recipes").parent.parent)
    assert training_args.learning_rate == 5e-5 and training_args.num_train_epochs == 3
    assert script_args.mode == "flat" and script_args.levels == (1, 2, 3)
    assert training_args.max_length is None and not training_args.trust_remote_code
    if path.parent.name == "dpo":
        assert training_args.beta == 0.1
    if path.stem == "config_lora":
        assert model_args.use_peft and (model_args.lora_r, model_args.lora_alpha) == (128, 256)
        assert re.fullmatch(model_args.lora_target_modules, "model.language_model.layers.0.self_attn.q_proj")
        assert not re.fullmatch(model_args.lora_target_modules, "model.visual.blocks.0.mlp.gate_proj")
    else:
        assert not model_args.use_peft


def test_a_mistyped_key_fails(tmp_path):
    path = tmp_path / "dpo" / "config_lora.yaml"
    path.parent.mkdir()
    path.write_text(RECIPES[0].read_text().replace("learning_rate:", "learnig_rate:"))
    with pytest.raises(ValueError, match="learnig_rate"):
        _parse(path)


@pytest.mark.parametrize("model", MODELS)
def test_model_readme_gives_commands_and_memory(model):
    readme = (REPO / "training" / "recipes" / model / "README.md").read_text()
    assert "accelerate launch --config_file training/accelerate/zero3.yaml" in readme
    assert f"python training/dpo.py --config training/recipes/{model}/dpo/config_lora.yaml" in readme
    for config in re.findall(r"--config (\S+\.yaml)", readme):
        assert (REPO / config).is_file(), config
    assert "## Expected peak GPU memory" in readme and re.search(r"\| DPO LoRA r128 \| about \d+ GB", readme)


@pytest.mark.parametrize("name", ["ddp", "zero3", "fsdp"])
def test_accelerate_configs_load(name):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(REPO / "training" / "accelerate" / f"{name}.yaml"))
    expected = {"ddp": "MULTI_GPU", "zero3": "DEEPSPEED", "fsdp": "FSDP"}[name]
    assert config.distributed_type.value == expected and config.mixed_precision == "bf16"
    if name == "zero3":
        assert (
            yaml.safe_load((REPO / "training" / "accelerate" / "zero3.yaml").read_text())["deepspeed_config"][
                "zero_stage"
            ]
            == 3
        )


def test_script_help_lists_s2h_arguments(dpo_script, capsys):
    with pytest.raises(SystemExit) as exit_info:
        dpo_script.main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for flag in ("--dataset_name", "--curriculum", "--level_weights", "--eval_tasks", "--beta", "--use_peft"):
        assert flag in out
