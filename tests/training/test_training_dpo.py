"""`training/dpo.py` end to end on a real `s2h build` (4 images per row) for every tiny VLM family."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from datasets import load_dataset

from s2h_dataset.testing import FAMILIES, tiny_vlm_cache
from s2h_dataset.training.steps import one_line_errors

if TYPE_CHECKING:
    import torch

REPO = Path(__file__).resolve().parents[2]


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    out = {}
    for path in sorted(folder.glob("*.safetensors")):
        out.update(load_file(path))
    assert out, f"no safetensors in {folder}"
    return out


def _generates(model, processor, data: Path) -> None:
    """A 4-image test row through the chat template; greedy generation adds tokens."""
    import torch

    row = load_dataset(str(data), "level3", split="test")[0]
    assert len(row["images"]) == 4
    text = processor.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False)
    inputs = processor(images=row["images"], text=[text], return_tensors="pt")
    with torch.no_grad():
        ids = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert ids.shape[1] > inputs["input_ids"].shape[1]


def _card_checks(card: str, base: Path, data: Path, method: str = "dpo") -> None:
    header = card.split("---")[1]
    for tag in ("trl", method, "s2h-dpo", "multi-image"):
        assert f"- {tag}\n" in header, tag
    assert str(base) in card and str(data) in card
    assert "levels: level1, level2, level3" in card
    assert "| `learning_rate` | 0.001 |" in card and "| `max_steps` | 2 |" in card


def _losses(trainer) -> list[float]:
    return [h["loss"] for h in trainer.state.log_history if "loss" in h]


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_dpo_full_finetune_each_family(family, s2h_data, dpo_script, train_argv, tmp_path):
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base, out = tiny_vlm_cache(family), tmp_path / "out"
    trainer = dpo_script.main(train_argv(base, out))
    losses = _losses(trainer)
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)

    before, after = _weights(base), _weights(out)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    vision = {k for k in changed if "vision" in k or "visual" in k}
    assert any("layers." in k for k in changed - vision), "the language model did not change"
    assert vision, "no gradient reached the vision tower"

    _card_checks((out / "README.md").read_text(), base, s2h_data)
    model = AutoModelForImageTextToText.from_pretrained(out)
    _generates(model, AutoProcessor.from_pretrained(out), s2h_data)


@pytest.mark.slow
def test_dpo_subprocess_yaml_config_lora_and_resume(s2h_data, dpo_script, tmp_path, caplog):
    """The real script in a subprocess, configured by YAML; a CLI flag overrides a YAML key; LoRA weights move;
    a second run with more steps resumes from the checkpoint the first one left."""
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base, out = tiny_vlm_cache("qwen2_5_vl"), tmp_path / "lora"
    config = tmp_path / "config_lora.yaml"
    config.write_text(f"""# Model arguments
model_name_or_path: {base}
use_peft: true
lora_r: 8
lora_alpha: 16
lora_target_modules: ['.*(language_model|text_model).*\\.(q|k|v|o|gate|up|down)_proj']
# Data
dataset_name: {s2h_data}
dataset_config: all
preflight_rows: 4
# DPOTrainer arguments
beta: 0.1
learning_rate: 1.0e-3
max_steps: 5
per_device_train_batch_size: 2
max_length: null
use_cpu: true
bf16: false
gradient_checkpointing: false
logging_steps: 1
save_strategy: steps
save_steps: 2
report_to: none
output_dir: {out}
""")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "training" / "dpo.py"), "--config", str(config), "--max_steps", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 2 and state["max_steps"] == 2  # --max_steps 2 beat the YAML's 5
    assert all(math.isfinite(h["loss"]) for h in state["log_history"] if "loss" in h)
    assert (out / "checkpoint-2").is_dir() and (out / "adapter_config.json").is_file()
    lora_b = {k: v for k, v in _weights(out).items() if "lora_B" in k}
    assert lora_b and any(v.abs().sum() > 0 for v in lora_b.values())  # LoRA B starts at zero
    assert not any("visual" in k for k in lora_b)  # the regex keeps LoRA on the language model
    card = (out / "README.md").read_text()
    _card_checks(card, base, s2h_data)
    assert "- lora\n" in card and "library_name: peft" in card

    model = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(base), out)
    _generates(model, AutoProcessor.from_pretrained(out), s2h_data)

    with caplog.at_level("INFO", logger="s2h_dataset"):
        trainer = dpo_script.main(["--config", str(config), "--max_steps", "3", "--disable_tqdm", "true"])
    assert f"resuming from {out / 'checkpoint-2'}" in caplog.text
    assert trainer.state.global_step == 3 and (out / "checkpoint-3").is_dir()


@pytest.mark.slow
def test_sft_ablation_trains_on_chosen(s2h_data, sft_script, train_argv, tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base, out = tiny_vlm_cache("idefics3"), tmp_path / "sft"
    trainer = sft_script.main(train_argv(base, out))
    assert (
        "rejected" not in trainer.train_dataset.column_names
        and "completion" in trainer.train_dataset.column_names
    )
    losses = _losses(trainer)
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    _card_checks((out / "README.md").read_text(), base, s2h_data, method="sft")
    _generates(AutoModelForImageTextToText.from_pretrained(out), AutoProcessor.from_pretrained(out), s2h_data)


def test_push_to_hub_sends_model_card(hub_calls, dpo_script, train_argv, s2h_data, tmp_path):
    """`--push_to_hub`: the repo is created and the last upload carries the S2H model card (Hub HTTP mocked);
    the card's command names no path of the training machine, in either form HfArgumentParser reads."""
    base, out = tiny_vlm_cache("gemma3"), tmp_path / "push"
    argv = train_argv(base, out)
    # the `--flag=value` form, beside `--model_name_or_path X`
    for flag in ("--dataset_name", "--output_dir"):
        at = argv.index(flag)
        argv[at : at + 2] = [f"{flag}={argv[at + 1]}"]
    dpo_script.main(
        [
            *argv,
            "--push_to_hub",
            "true",
            "--hub_model_id",
            "me/tiny-s2h-dpo",
        ]
    )

    assert ("create_repo", "me/tiny-s2h-dpo") in [c[:2] for c in hub_calls]
    uploads = [c for c in hub_calls if c[0] == "upload_folder"]
    assert uploads and all(c[1] == "me/tiny-s2h-dpo" for c in uploads)
    last = uploads[-1]
    assert (
        "- s2h-dpo\n" in last[2]
        and "- multi-image\n" in last[2]
        and "levels: level1, level2, level3" in last[2]
    )
    assert "checkpoint-*" in last[4]["ignore_patterns"]
    assert (out / "README.md").read_text() == last[2]
    assert "--output_dir=<local folder push>" in last[2]
    assert "--dataset_name=<local folder s2h-dpo>" in last[2]
    assert not [path for path in (str(tmp_path), str(s2h_data), str(base)) if path in last[2]]


def test_user_errors_exit_2_with_one_line(dpo_script, train_argv, tmp_path, capsys):
    main = one_line_errors(dpo_script.main)
    base = tiny_vlm_cache("llava")
    common = train_argv(base, tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([*common, "--curriculum", "level1,level2", "--level_weights", "1,1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "curriculum" in err and "level_weights" in err

    with pytest.raises(SystemExit) as exit_info:  # the preflight runs before any training step
        main([*common, "--max_length", "12"])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and "\n" not in err and "max_length=12 cuts image tokens" in err
    assert not (tmp_path / "README.md").exists()
