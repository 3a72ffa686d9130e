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

import logging

logger = logging.getLogger("s2h_dataset.training")


def main(argv: list[str] | None = None):
    from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser, get_peft_config

    from s2h_dataset.training import S2HScriptArguments, build_mixture
    from s2h_dataset.training.steps import (
        finish,
        last_checkpoint,
        load_model_and_processor,
        run_preflight,
        setup_logging,
    )

    parser = TrlParser((S2HScriptArguments, SFTConfig, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(argv)

    # Logging and arguments (the trainer seeds from training_args.seed)
    setup_logging(training_args)
    logger.info("script arguments %s", script_args)
    logger.info("model arguments %s", model_args)
    logger.info("training arguments %s", training_args)

    # Data: the same mixtures as DPO; prompt + chosen as a prompt-completion pair
    with_eval = training_args.eval_strategy != "no"
    mixture = build_mixture(script_args, training_args.seed, training_args.num_train_epochs, with_eval)
    if mixture.sequential:
        training_args.train_sampling_strategy, training_args.num_train_epochs = "sequential", 1
    train = mixture.train.remove_columns("rejected").rename_column("chosen", "completion")
    evaluation = (
        mixture.eval.remove_columns("rejected").rename_column("chosen", "completion") if with_eval else None
    )

    # Model, processor, and a preflight of the rows through the processor
    model, processor = load_model_and_processor(model_args, training_args)
    run_preflight(processor, model, mixture.train, script_args, training_args.max_length, ("chosen",))

    # Train
    trainer = SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=processor,
        peft_config=get_peft_config(model_args),
    )
    train_result = trainer.train(resume_from_checkpoint=last_checkpoint(training_args))
    metrics = {**train_result.metrics, "train_samples": len(train)}
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)
    trainer.save_state()

    # Save, evaluate, model card, push
    trainer.save_model(training_args.output_dir)
    if with_eval:
        trainer.log_metrics("eval", trainer.evaluate())
    finish(trainer, script_args, training_args, model_args, mixture, "SFT", argv)
    if hasattr(trainer, "end"):
        trainer.end()
    return trainer


if __name__ == "__main__":
    from s2h_dataset.training.steps import one_line_errors

    one_line_errors(main)()
