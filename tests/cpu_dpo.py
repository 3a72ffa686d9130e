"""A two-step DPO configuration on the CPU for the tests that train a tiny VLM with TRL directly."""

from __future__ import annotations


def cpu_dpo_config(output_dir, **overrides):
    """Two steps of batch 2 on the CPU in float32, nothing saved or reported; `overrides` win."""
    from trl import DPOConfig

    settings = dict(
        output_dir=str(output_dir),
        use_cpu=True,
        bf16=False,
        # activation_checkpointing is the transformers 5 name of gradient_checkpointing (TRL defaults it on)
        gradient_checkpointing=False,
        activation_checkpointing=False,
        max_length=None,  # never cut image tokens
        per_device_train_batch_size=2,
        max_steps=2,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
    )
    return DPOConfig(**(settings | overrides))
