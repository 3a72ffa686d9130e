"""Every recipe parses through the scripts' own parser, has the hyper-parameters its sources give, says where
they come from, and is documented; the smoke recipes are CPU-sized."""

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
    """The parser `training/<method>.py` builds, on `--config path` (+ overrides)."""
    from s2h_dataset.training.script import parse_args

    # `--use_cpu` only so bf16 recipes validate on a CPU machine; everything else comes from the file
    return parse_args(path.parent.name, ["--config", str(path), "--use_cpu", "true", *overrides])


# (method, kind) -> learning rate: LoRA at the paper's 5e-5; full DPO at TRL's default 1e-6; GRPO as TRL's
# grpo_vlm.py (LoRA 1e-5) and GRPOConfig default (full 1e-6)
LEARNING_RATES = {
    ("dpo", "lora"): 5e-5,
    ("dpo", "smoke"): 5e-5,
    ("dpo", "mia-dpo"): 5e-5,  # MIA-DPO's train_dpo_multi.sh
    ("sft", "lora"): 5e-5,
    ("dpo", "full"): 1e-6,
    ("grpo", "lora"): 1e-5,
    ("grpo", "full"): 1e-6,
}


def test_every_paper_run_has_a_recipe():
    found = {str(p.relative_to(REPO / "training" / "recipes")) for p in RECIPES}
    assert {str(p.relative_to(REPO / "training" / "recipes").parent.parent) for p in RECIPES} == set(MODELS)
    for model in MODELS:
        for kind in ("lora", "full", "smoke"):
            assert f"{model}/dpo/config_{kind}.yaml" in found
    assert "llava-hf/llava-1.5-7b-hf/sft/config_lora.yaml" in found  # Table 4
    assert {
        "Qwen/Qwen3-VL-2B-Instruct/grpo/config_lora.yaml",
        "Qwen/Qwen3-VL-2B-Instruct/grpo/config_full.yaml",
    } <= found


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO / "training" / "recipes")))
def test_recipe_parses_with_its_sources_hyperparameters(path):
    method, kind = path.parent.name, path.stem.removeprefix("config_")
    script_args, training_args, model_args = _parse(path)
    assert model_args.model_name_or_path == str(path.relative_to(REPO / "training" / "recipes").parent.parent)
    assert "# Sources:" in path.read_text()  # every recipe says where its values come from
    assert training_args.learning_rate == LEARNING_RATES[(method, kind)]
    assert script_args.mode == "flat" and script_args.levels == (1, 2, 3)
    assert not training_args.trust_remote_code
    if method != "grpo":
        assert training_args.max_length is None
    if kind == "smoke":
        assert training_args.max_steps == 2 and training_args.gradient_accumulation_steps == 1
        assert training_args.use_cpu and not training_args.bf16 and script_args.preflight_rows == 4
    else:
        assert training_args.num_train_epochs == (1 if method == "grpo" or kind == "mia-dpo" else 3)
    if method == "dpo":
        assert training_args.beta == 0.1
    if method == "grpo":
        assert training_args.num_generations == 8 and script_args.length_target == 20
        assert script_args.reward_names == ["length", "format", "similarity"]
        assert "\nloss_type: grpo" in path.read_text()  # explicit: TRL's default is dapo (issue #22)
        assert training_args.loss_type == "grpo"
    # the paper states lr, beta and epochs only: no recipe credits it with LoRA settings (issue #22)
    assert "LoRA runs" not in path.read_text() and "paper's peers" not in path.read_text()
    if kind in ("lora", "smoke", "mia-dpo"):
        assert model_args.use_peft and model_args.lora_alpha == 2 * model_args.lora_r
        assert model_args.lora_r == (8 if kind == "smoke" else 128)
        assert re.fullmatch(model_args.lora_target_modules, "model.language_model.layers.0.self_attn.q_proj")
        assert not re.fullmatch(model_args.lora_target_modules, "model.visual.blocks.0.mlp.gate_proj")
    else:
        assert not model_args.use_peft
    # processor settings: the family defaults, written out
    from s2h_dataset.vlm.processor_defaults import PROCESSOR_DEFAULTS

    family = {"SmolVLM": "smolvlm", "Qwen2.5": "qwen2_5_vl", "Qwen3": "qwen3_vl"}
    expected = next((PROCESSOR_DEFAULTS[f] for k, f in family.items() if k in str(path)), None)
    assert script_args.processor_kwargs == expected


def test_mia_dpo_recipe_has_mia_dpo_published_settings():
    """MIA-DPO's train_dpo_multi.sh: r128/a256, 1 epoch, warmup 0.1, linear, batch 64, DPO + SFT on chosen
    (dpo_alpha 1.0 = TRL's loss_type [sigmoid, sft] with weights 1, 1), projector frozen."""
    path = REPO / "training/recipes/llava-hf/llava-1.5-7b-hf/dpo/config_mia-dpo.yaml"
    _, args, model_args = _parse(path)
    assert (model_args.lora_r, model_args.lora_alpha, args.num_train_epochs) == (128, 256, 1)
    assert args.lr_scheduler_type == "linear" and args.warmup_steps == 0.1 and args.weight_decay == 0
    assert args.per_device_train_batch_size * args.gradient_accumulation_steps == 64
    assert list(args.loss_type) == ["sigmoid", "sft"] and list(args.loss_weights) == [1.0, 1.0]
    assert not model_args.lora_modules_to_save
    for frozen in (
        "model.multi_modal_projector.linear_1",
        "model.vision_tower.vision_model.encoder.layers.0.mlp.fc1",
    ):
        assert not re.fullmatch(model_args.lora_target_modules, frozen)


def test_smoke_recipe_trains_a_tiny_model_of_the_family(s2h_data, dpo_script, tmp_path):
    """The Qwen2.5-VL smoke recipe as written (bf16 weights, fp32 math, LoRA r8) on the tiny Qwen2.5-VL."""
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    recipe = REPO / "training" / "recipes" / "Qwen" / "Qwen2.5-VL-7B-Instruct" / "dpo" / "config_smoke.yaml"
    out = tmp_path / "smoke"
    trainer = dpo_script.main(
        ["--config", str(recipe), "--model_name_or_path", str(tiny_vlm_cache("qwen2_5_vl"))]
        + ["--dataset_name", str(s2h_data), "--output_dir", str(out), "--disable_tqdm", "true"]
    )
    assert trainer.state.global_step == 2
    card = (out / "README.md").read_text()
    assert "| `max_steps` | 2 |" in card and "num_train_epochs" not in card  # not both (issue 14)


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
    assert f"training/recipes/{model}/dpo/config_smoke.yaml" in readme
    table = readme.split("## Expected peak GPU memory")[1].split("## Notes")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "GB" in line]
    assert rows and all("estimate" in line for line in rows)  # no figure reads as measured


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
    for flag in (
        "--dataset_name",
        "--curriculum",
        "--level_weights",
        "--eval_tasks",
        "--beta",
        "--use_peft",
        "--processor_kwargs",
        "--streaming",
    ):
        assert flag in out
