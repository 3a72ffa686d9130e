# Copyright the S2H-DPO toolkit contributors. MIT licence.
"""GRPO on the S2H-DPO rows (paper Table 5, Qwen3-VL-2B): TRL's `GRPOTrainer` samples completions for each
row's `prompt` + `images` and scores them with the paper's three rule rewards against the row's `chosen`
reply (`s2h_dataset.training.rewards`): a length reward (optimum 20 tokens), an answer-format reward and a
similarity reward (normalised exact match of short answers, the build's text encoder for captions).
`rejected` is not used. The steps are shared with `dpo.py` and `sft.py` (`s2h_dataset.training.script`).

# One GPU, LoRA or full, from a recipe
```bash
python training/grpo.py --config training/recipes/Qwen/Qwen3-VL-2B-Instruct/grpo/config_lora.yaml \
    --dataset_name org/s2h-dpo
python training/grpo.py --config training/recipes/Qwen/Qwen3-VL-2B-Instruct/grpo/config_full.yaml
```

# Other rewards or weights; a reward's settings
```bash
python training/grpo.py --config RECIPE --rewards length,similarity --reward_weights 0.5 1.0 --length_target 30
```
"""

from s2h_dataset.training.script import main as run


def main(argv: list[str] | None = None, callbacks=()):
    """Parse `argv` (default: sys.argv), train, and return the trainer."""
    return run("grpo", argv, callbacks)


if __name__ == "__main__":
    from s2h_dataset.training.steps import one_line_errors

    one_line_errors(main)()
