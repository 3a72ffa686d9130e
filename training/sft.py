# Copyright the S2H-DPO toolkit contributors. MIT licence.
"""SFT on the same S2H-DPO rows (the `chosen` reply is the completion): the paper's ablation (section 5, DPO
beats SFT on the same data). Same arguments and mixtures as `training/dpo.py`; `rejected` is dropped.

# One GPU, LoRA, from a recipe
```bash
python training/sft.py --config training/recipes/Qwen/Qwen2.5-VL-7B-Instruct/sft/config_lora.yaml \
    --dataset_name org/s2h-dpo --output_dir runs/qwen2.5-vl-7b-s2h-sft
```

# Many GPUs
```bash
accelerate launch --config_file training/accelerate/zero3.yaml training/sft.py \
    --config training/recipes/Qwen/Qwen2.5-VL-7B-Instruct/sft/config_lora.yaml
```
"""

from s2h_dataset.training.script import main as run


def main(argv: list[str] | None = None, callbacks=()):
    """Parse `argv` (default: sys.argv), train, and return the trainer (the last stage's for a curriculum)."""
    return run("sft", argv, callbacks)


if __name__ == "__main__":
    from s2h_dataset.training.steps import one_line_errors

    one_line_errors(main)()
