# Copyright the S2H-DPO toolkit contributors. MIT licence.
"""DPO on S2H-DPO multi-image preference data, in the shape of TRL's `trl/scripts/dpo.py`.

Paper recipe (section 2.3): beta 0.1, lr 5e-5 (LoRA), 3 epochs, one flat mixture of the three levels. The steps
are shared with `sft.py` and `grpo.py` in `s2h_dataset.training.script`.

# One GPU, LoRA, from a recipe (flags after --config override its keys)
```bash
python training/dpo.py --config training/recipes/Qwen/Qwen2.5-VL-7B-Instruct/dpo/config_lora.yaml \
    --dataset_name org/s2h-dpo --output_dir runs/qwen2.5-vl-7b-s2h-dpo
```

# Many GPUs (DeepSpeed ZeRO-3; also training/accelerate/ddp.yaml, fsdp.yaml)
```bash
accelerate launch --config_file training/accelerate/zero3.yaml training/dpo.py \
    --config training/recipes/llava-hf/llava-1.5-7b-hf/dpo/config_full.yaml
```

# Without a recipe; a staged curriculum (Table 3: L1, then L2 and L3 together, one full run per stage);
# a weighted mixture; check the data only
```bash
python training/dpo.py --model_name_or_path Qwen/Qwen3-VL-2B-Instruct --dataset_name build/s2h-dpo \
    --learning_rate 5e-5 --beta 0.1 --num_train_epochs 3 --use_peft --lora_r 128 --lora_alpha 256 \
    --lora_target_modules '.*(language_model|text_model).*\\.(q|k|v|o|gate|up|down)_proj' --output_dir runs/q3
python training/dpo.py --config RECIPE --curriculum "1;2,3" --output_dir runs/llava-l1-then-l23
python training/dpo.py --config RECIPE --level_weights level1=1,level2=1,level3=2
s2h train-check --model-name-or-path Qwen/Qwen3-VL-2B-Instruct --dataset-name build/s2h-dpo --max-length 2048
```
"""

from s2h_dataset.training.script import main as run


def main(argv: list[str] | None = None, callbacks=()):
    """Parse `argv` (default: sys.argv), train, and return the trainer (the last stage's for a curriculum)."""
    return run("dpo", argv, callbacks)


if __name__ == "__main__":
    from s2h_dataset.training.steps import one_line_errors

    one_line_errors(main)()
