"""The built `all` config is TRL-ready as is: a tiny VLM trains 2 DPO steps on it, 4 images per row."""

from __future__ import annotations

import math
import warnings

import datasets
import pytest
from cpu_dpo import cpu_dpo_config

from s2h_dataset.testing import tiny_vlm_cache


@pytest.mark.slow
def test_tiny_vlm_trains_two_dpo_steps_on_all(built_dataset, tmp_path):
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import DPOTrainer

    train = datasets.load_dataset(str(built_dataset), "all", split="train").shuffle(seed=0).select(range(8))
    assert {len(images) for images in train["images"]} == {4}
    path = tiny_vlm_cache("qwen2_5_vl")
    model = AutoModelForImageTextToText.from_pretrained(path)
    processor = AutoProcessor.from_pretrained(path)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    args = cpu_dpo_config(tmp_path, learning_rate=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        trainer = DPOTrainer(model=model, args=args, train_dataset=train, processing_class=processor)
        trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    changed = [n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert changed, "no parameter moved after two DPO steps"
