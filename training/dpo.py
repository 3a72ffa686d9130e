# Copyright the S2H-DPO toolkit contributors. MIT licence.
"""DPO on S2H-DPO multi-image preference data, in the shape of TRL's `trl/scripts/dpo.py`.

Paper recipe (section 2.3): beta 0.1, lr 5e-5, 3 epochs, one flat mixture of the three levels.

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

# Without a recipe; the curriculum ablation; a weighted mixture; check the data only
```bash
python training/dpo.py --model_name_or_path Qwen/Qwen3-VL-2B-Instruct --dataset_name build/s2h-dpo \
    --learning_rate 5e-5 --beta 0.1 --num_train_epochs 3 --use_peft --lora_r 128 --lora_alpha 256 \
    --lora_target_modules '.*(language_model|text_model).*\\.(q|k|v|o|gate|up|down)_proj' --output_dir runs/q3
python training/dpo.py --config RECIPE --curriculum level1,level2,level3
python training/dpo.py --config RECIPE --level_weights level1=1,level2=1,level3=2
s2h train-check --model Qwen/Qwen3-VL-2B-Instruct --dataset build/s2h-dpo --max-length 2048
```
"""

import logging

logger = logging.getLogger("s2h_dataset.training")


def main(argv: list[str] | None = None):
    from trl import DPOConfig, DPOTrainer, ModelConfig, TrlParser, get_peft_config

    from s2h_dataset.training import S2HScriptArguments, build_mixture
    from s2h_dataset.training.steps import (
        finish,
        last_checkpoint,
        load_model_and_processor,
        run_preflight,
        setup_logging,
    )

    parser = TrlParser((S2HScriptArguments, DPOConfig, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(argv)

    # Logging and arguments (the trainer seeds from training_args.seed)
    setup_logging(training_args)
    logger.info("script arguments %s", script_args)
    logger.info("model arguments %s", model_args)
    logger.info("training arguments %s", training_args)

    # Data: flat (paper), weighted, or a curriculum read in order
    with_eval = training_args.eval_strategy != "no"
    mixture = build_mixture(script_args, training_args.seed, training_args.num_train_epochs, with_eval)
    if mixture.sequential:
        training_args.train_sampling_strategy, training_args.num_train_epochs = "sequential", 1
        logger.info("curriculum %s: stages already repeated per epoch, read in order", script_args.curriculum)

    # Model, processor, and a preflight of the rows through the processor
    model, processor = load_model_and_processor(model_args, training_args)
    run_preflight(
        processor, model, mixture.train, script_args, training_args.max_length, ("chosen", "rejected")
    )

    # Train (the reference model is the frozen base, or the base with LoRA adapters disabled)
    trainer = DPOTrainer(
        model=model,
        args=training_args,
        train_dataset=mixture.train,
        eval_dataset=mixture.eval,
        processing_class=processor,
        peft_config=get_peft_config(model_args),
    )
    checkpoint = last_checkpoint(training_args)
    train_result = trainer.train(resume_from_checkpoint=checkpoint)
    metrics = {**train_result.metrics, "train_samples": len(mixture.train)}
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)
    trainer.save_state()

    # Save, evaluate, model card, push
    trainer.save_model(training_args.output_dir)
    if with_eval:
        trainer.log_metrics("eval", trainer.evaluate())
    finish(trainer, script_args, training_args, model_args, mixture, "DPO", argv)
    if hasattr(trainer, "end"):  # transformers >= 5.18: finish trackers, destroy the process group
        trainer.end()
    return trainer


if __name__ == "__main__":
    from s2h_dataset.training.steps import one_line_errors

    one_line_errors(main)()
