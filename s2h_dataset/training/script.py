"""The one training script behind `training/dpo.py`, `training/sft.py` and `training/grpo.py`.

The three share every step (as TRL's scripts share `ScriptArguments` and `trl.scripts.utils`): parse the
script's dataclasses from YAML + CLI, set up logging, build the level mixture, load the model and processor,
preflight rows through the processor, train (resuming a checkpoint), save, evaluate, write the card, push.
What differs is data in `METHODS`: the TRL config and trainer, which columns the rows keep, and the
trainer's extra arguments (GRPO's reward functions). A `curriculum` runs the same steps once per stage
(`s2h_dataset.training.curriculum`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from .mixture import build_mixture

__all__ = ["METHODS", "Method", "default_output_dir", "main", "parse_args", "train_stage"]

logger = logging.getLogger("s2h_dataset.training")


def _preference_rows(ds):
    return ds  # DPO reads `prompt`, `images`, `chosen`, `rejected` as built


def _completion_rows(ds):
    """SFT: the chosen reply is the completion (paper section 5: the DPO data without the rejected)."""
    return None if ds is None else ds.remove_columns("rejected").rename_column("chosen", "completion")


def _prompt_rows(ds):
    """GRPO generates its own completions; `chosen` stays as the reference the rewards compare with."""
    return None if ds is None else ds.remove_columns("rejected")


def _grpo_trainer_kwargs(script_args, training_args) -> dict:
    from .rewards import reward_functions

    return {"reward_funcs": reward_functions(script_args)}


@dataclass(frozen=True)
class Method:
    """How one TRL trainer is driven: its classes (by name in `trl`), rows, checked completions, extras."""

    name: str  # as in the card and the script name (`training/<name lower>.py`)
    config: str
    trainer: str
    rows: Callable
    completions: tuple[str, ...]  # columns the preflight renders after the prompt
    arguments: str = (
        "s2h_dataset.training.arguments:S2HScriptArguments"  # the script's dataclass (module:Class)
    )
    trainer_kwargs: Callable | None = None


METHODS: dict[str, Method] = {
    "dpo": Method("DPO", "DPOConfig", "DPOTrainer", _preference_rows, ("chosen", "rejected")),
    "sft": Method("SFT", "SFTConfig", "SFTTrainer", _completion_rows, ("chosen",)),
    "grpo": Method(
        "GRPO",
        "GRPOConfig",
        "GRPOTrainer",
        _prompt_rows,
        ("chosen",),
        arguments="s2h_dataset.training.rewards:GRPOScriptArguments",
        trainer_kwargs=_grpo_trainer_kwargs,
    ),
}


def _dataclasses(method: Method) -> tuple:
    import trl

    module, name = method.arguments.split(":")
    script = getattr(importlib.import_module(module), name)
    return (script, getattr(trl, method.config), trl.ModelConfig)


def default_output_dir(model_name_or_path: str | None, method: str, lora: bool = False) -> str:
    """`runs/<model basename>-s2h-<method>[-lora]`: named after the model actually trained, not a recipe
    (the card's title follows it), and LoRA and full runs of one model never share a folder (or a resume)."""
    base = os.path.basename(os.path.normpath(model_name_or_path or "model")).lower()
    return os.path.join("runs", f"{base}-s2h-{method}" + ("-lora" if lora else ""))


def parse_args(method: str, argv: list[str] | None):
    """(script_args, training_args, model_args) from `--config FILE.yaml` and CLI flags (flags win)."""
    from trl import TrlParser

    script_args, training_args, model_args = TrlParser(_dataclasses(METHODS[method])).parse_args_and_config(
        argv
    )
    if training_args.output_dir in (None, "trainer_output"):  # transformers' default: name it after the model
        training_args.output_dir = default_output_dir(
            model_args.model_name_or_path, method, model_args.use_peft
        )
    return script_args, training_args, model_args


def train_stage(method: str, script_args, training_args, model_args, argv, callbacks=(), stage=None):
    """One full training run of `method` on the mixture `script_args` asks for; returns the trainer."""
    import trl

    from .steps import finish, last_checkpoint, load_model_and_processor, merge_lora, run_preflight

    spec = METHODS[method]
    with_eval = training_args.eval_strategy != "no"
    mixture = build_mixture(script_args, training_args.seed, with_eval)
    model, processor = load_model_and_processor(model_args, training_args, script_args)
    run_preflight(
        processor,
        model,
        mixture.train,
        script_args,
        getattr(training_args, "max_length", None),
        spec.completions,
    )
    extra = spec.trainer_kwargs(script_args, training_args) if spec.trainer_kwargs else {}
    trainer = getattr(trl, spec.trainer)(
        model=model,
        args=training_args,
        train_dataset=spec.rows(mixture.train),
        eval_dataset=spec.rows(mixture.eval),
        processing_class=processor,
        peft_config=trl.get_peft_config(model_args),
        callbacks=list(callbacks) or None,
        **extra,
    )
    train_result = trainer.train(resume_from_checkpoint=last_checkpoint(training_args))
    metrics = dict(train_result.metrics)
    if mixture.rows is not None:
        metrics["train_samples"] = mixture.rows
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)
    trainer.save_state()
    trainer.save_model(training_args.output_dir)
    if with_eval:
        trainer.log_metrics("eval", trainer.evaluate())
    merged = merge_lora(trainer, training_args.output_dir) if stage and stage.get("merge_lora") else None
    finish(
        trainer, script_args, training_args, model_args, mixture, spec.name, argv, stage=stage, merged=merged
    )
    return trainer


def main(method: str, argv: list[str] | None = None, callbacks=()):
    """Parse, log the arguments, and train once or once per curriculum stage; returns the (last) trainer."""
    from .steps import setup_logging

    script_args, training_args, model_args = parse_args(method, argv)
    setup_logging(training_args)
    logger.info("script arguments %s", script_args)
    logger.info("model arguments %s", model_args)
    logger.info("training arguments %s", training_args)
    if script_args.stages is not None:
        from .curriculum import run_curriculum

        one_run = functools.partial(train_stage, method, argv=argv, callbacks=callbacks)
        trainers = run_curriculum(method, script_args, training_args, model_args, one_run)
        trainer = trainers[-1] if trainers else None  # None: every stage had finished before
    else:
        trainer = train_stage(method, script_args, training_args, model_args, argv, callbacks)
    if trainer is not None and hasattr(
        trainer, "end"
    ):  # transformers >= 5.18: finish trackers, destroy the process group
        trainer.end()
    return trainer
