"""The staged curriculum (paper Table 3): one full training per stage, each from the previous stage's weights,
with that stage's policy as its reference and its own learning-rate schedule."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING

import pytest

from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.training.curriculum import stage_dirs

if TYPE_CHECKING:
    import torch


def start_weights():
    """A callback that keeps the policy's weights at step 0 of every training run it sees."""
    from transformers import TrainerCallback

    class StartWeights(TrainerCallback):
        """The policy's weights at step 0 of every training run the callback sees."""

        def __init__(self):
            self.runs: list[dict[str, torch.Tensor]] = []

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.runs.append({k: v.detach().clone() for k, v in model.state_dict().items()})

    return StartWeights()


def _weights(folder) -> dict[str, torch.Tensor]:
    """The state dict of the model saved in `folder`, under the names the live model uses."""
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText.from_pretrained(folder).state_dict()


def _base_layer_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A PEFT model's frozen weights under the plain model's names (no prefix, no `.base_layer`)."""
    return {
        k.removeprefix("base_model.model.").replace(".base_layer", ""): v
        for k, v in state.items()
        if "lora_" not in k
    }


def _row_logprob(model, processor, row) -> float:
    """Summed log-probability of a row's prompt + chosen reply under `model`."""
    import torch

    text = processor.apply_chat_template(row["prompt"] + row["chosen"], tokenize=False)
    inputs = processor(images=row["images"], text=[text], return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits[0, :-1].float()
    ids = inputs["input_ids"][0, 1:]
    return float(torch.log_softmax(logits, -1).gather(1, ids[:, None]).sum())


def _lrs(trainer) -> list[float]:
    return [h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h]


@pytest.mark.slow
def test_two_stage_curriculum_chains_weights_reference_and_schedules(
    s2h_data, dpo_script, train_argv, tmp_path, caplog
):
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base, out = tiny_vlm_cache("llava"), tmp_path / "curriculum"
    snapshots = start_weights()
    argv = [
        *train_argv(base, out),
        "--curriculum",
        "1;2,3",
        "--max_steps",
        "3",
        "--lr_scheduler_type",
        "linear",
        "--learning_rate",
        "5e-3",
    ]
    stage2 = dpo_script.main(argv, callbacks=[snapshots])
    first, second = stage_dirs(out, ((1,), (2, 3)))
    assert first.name == "stage-1-level1" and second.name == "stage-2-level2+level3"

    # stage 2 starts from stage 1's saved weights (and stage 1 moved away from the base)
    saved1, base_w = _weights(first), _weights(base)
    assert len(snapshots.runs) == 2
    start2 = snapshots.runs[1]
    common = [k for k in saved1 if k in start2]
    assert len(common) == len(saved1) > 0
    assert all(torch.equal(start2[k], saved1[k]) for k in common)
    assert any(not torch.equal(saved1[k], base_w[k]) for k in common if k in base_w)

    # its reference is stage 1's policy: same log-probs as stage 1's saved model, not the base model's
    from datasets import load_dataset

    row = load_dataset(str(s2h_data), "level3", split="train")[0]
    processor = AutoProcessor.from_pretrained(first)
    ref = _row_logprob(stage2.ref_model, processor, row)
    assert abs(ref - _row_logprob(AutoModelForImageTextToText.from_pretrained(first), processor, row)) < 1e-4
    assert abs(ref - _row_logprob(AutoModelForImageTextToText.from_pretrained(base), processor, row)) > 1e-3
    first_log = next(h for h in stage2.state.log_history if "rewards/chosen" in h)
    assert first_log["rewards/chosen"] == 0 and first_log["rewards/rejected"] == 0  # policy == reference

    # each stage has its own full schedule: the learning rate restarts from the peak and decays over 3 steps
    state1 = json.loads((first / "trainer_state.json").read_text())
    lrs1 = [h["learning_rate"] for h in state1["log_history"] if "learning_rate" in h]
    assert len(lrs1) == 3 and lrs1 == _lrs(stage2) and lrs1[0] > lrs1[1] > lrs1[2] > 0
    assert state1["global_step"] == 3 and stage2.state.global_step == 3

    # checkpoints' folders, cards and the record per stage; stage 2 trained on L2 and L3 only
    for folder, index, levels in ((first, 1, "level1"), (second, 2, "level2, level3")):
        card = (folder / "README.md").read_text()
        assert f"this is stage {index} of 2" in card and f"levels: {levels}" in card
    assert f"started from `{first.name}`" in (second / "README.md").read_text()  # stage 1, by its folder
    assert set(stage2.train_dataset["level"]) == {2, 3}
    record = json.loads((out / "curriculum.json").read_text())
    assert [s["finished"] for s in record["stages"]] == [True, True]

    with caplog.at_level(logging.INFO, logger="s2h_dataset"):  # a rerun skips finished stages
        assert dpo_script.main(argv) is None
    assert caplog.text.count("already finished") == 2


@pytest.mark.slow
def test_lora_curriculum_merges_then_trains_new_adapters(dpo_script, train_argv, lora_args, tmp_path):
    import torch

    base, out = tiny_vlm_cache("llava"), tmp_path / "lora"
    snapshots = start_weights()
    stage2 = dpo_script.main(
        [
            *train_argv(base, out),
            *lora_args,
            "--curriculum",
            "1;3",
            "--max_steps",
            "1",
        ],
        callbacks=[snapshots],
    )
    first, second = stage_dirs(out, ((1,), (3,)))
    merged = _weights(first / "merged")
    assert (first / "adapter_config.json").is_file() and (second / "adapter_config.json").is_file()
    assert (second / "merged").is_dir()
    # stage 2's base weights are stage 1's merged model; its adapters start fresh (B = 0)
    start2 = snapshots.runs[1]
    frozen = _base_layer_names(start2)
    assert set(frozen) == set(merged)
    assert all(torch.equal(frozen[k], merged[k]) for k in merged)
    assert all(float(v.abs().sum()) == 0 for k, v in start2.items() if "lora_B" in k)
    assert any(not torch.equal(merged[k], v) for k, v in _weights(base).items() if k in merged)
    assert f"started from `{first.name}/merged`" in (second / "README.md").read_text()
    assert stage2.state.global_step == 1


def test_curriculum_pushes_only_its_result(hub_calls, dpo_script, train_argv, tmp_path):
    """`--push_to_hub` with a curriculum: one repo, named after the curriculum (not `stage-2-...`), gets the
    last stage's model and card; the intermediate stage is never uploaded."""
    base, out = tiny_vlm_cache("llava"), tmp_path / "tiny-curriculum"
    dpo_script.main([*train_argv(base, out), "--curriculum", "1;2,3", "--push_to_hub", "true"])
    first, second = stage_dirs(out, ((1,), (2, 3)))
    # the Trainer creates it by the bare name, the push by the full one: the same single repo
    assert {c[1].split("/")[-1] for c in hub_calls if c[0] == "create_repo"} == {"tiny-curriculum"}
    assert {c[1] for c in hub_calls if c[0] == "upload_folder"} == {"me/tiny-curriculum"}
    uploads = [c for c in hub_calls if c[0] == "upload_folder"]
    assert uploads and {c[3] for c in uploads} == {second}
    card = uploads[-1][2]
    assert "this is stage 2 of 2" in card and "levels: level2, level3" in card and first.name in card
    assert str(tmp_path) not in card  # a pushed card names no path of the training machine


def _hub_cache_copy(folder, repo_id: str, cache) -> None:
    """`folder` as the Hub cache holds a downloaded `repo_id` (refs/main -> one snapshot), so an offline
    `from_pretrained(repo_id)` finds it: the base model is a Hub id, as on a user's machine."""
    commit = "0" * 40
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


LOAD_PUSHED = """
import sys, torch
from transformers import AutoModelForImageTextToText, AutoProcessor
model = AutoModelForImageTextToText.from_pretrained(sys.argv[1]).eval()
processor = AutoProcessor.from_pretrained(sys.argv[1])
text = processor.apply_chat_template(
    [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Which image?"}]}],
    add_generation_prompt=True, tokenize=False)
from PIL import Image
inputs = processor(images=[Image.new("RGB", (96, 96), (200, 30, 30))], text=[text], return_tensors="pt")
with torch.no_grad():
    print(float(model(**inputs).logits[0, -1].float().sum()))
"""


def test_lora_curriculum_push_loads_from_the_pushed_files_alone(
    hub_calls, dpo_script, train_argv, lora_args, tmp_path, monkeypatch
):
    """A two-stage LoRA curriculum from a Hub-id base pushes the merged result: a fresh process loads it from
    the pushed files alone (no PEFT base to fetch, no folder of the training machine), and no pushed file
    names a path of the training machine."""
    import huggingface_hub

    cache = tmp_path / "hub-cache"
    cache.mkdir()
    _hub_cache_copy(tiny_vlm_cache("llava"), "s2h-test/tiny-llava", cache)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    out = tmp_path / "tiny-lora-curriculum"
    argv = [*train_argv("s2h-test/tiny-llava", out), *lora_args, "--curriculum", "1;3", "--max_steps", "1"]
    dpo_script.main([*argv, "--push_to_hub", "true"])
    first, second = stage_dirs(out, ((1,), (3,)))

    uploads = [c for c in hub_calls if c[0] == "upload_folder"]
    assert [c[3] for c in uploads] == [second / "merged"]  # the merged weights, never the adapters
    pushed = hub_calls.repos / "me" / "tiny-lora-curriculum"
    names = {p.name for p in pushed.rglob("*") if p.is_file()}
    assert "model.safetensors" in names and "adapter_config.json" not in names and "README.md" in names
    machine = [
        str(tmp_path),
        str(cache),
        str(tiny_vlm_cache("llava")),
        str(first),
        tempfile.gettempdir() + "/",
    ]
    for path in pushed.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [m for m in machine if m.encode() in data], path

    card = huggingface_hub.ModelCard.load(pushed / "README.md")
    assert card.data.base_model == "s2h-test/tiny-llava" and card.data.library_name == "transformers"
    assert "PeftModel" not in card.text and "stage 2 of 2" in card.text

    # a new process, an empty Hub cache, offline: only the pushed folder is there to load
    empty = tmp_path / "empty-cache"
    empty.mkdir()
    env = {**os.environ, "HF_HUB_CACHE": str(empty), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_PUSHED, str(pushed)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # and it is the curriculum's result: the same logits as the merged model on the training machine
    local = subprocess.run(
        [sys.executable, "-c", LOAD_PUSHED, str(second / "merged")], env=env, capture_output=True, text=True
    )
    assert float(done.stdout) == float(local.stdout)
