"""The steps of `s2h_dataset.training.script` (behind `training/dpo.py`, `sft.py`, `grpo.py`): logging,
checkpoint resume, model + processor loading, preflight, and the finish (eval, card, push).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import shlex
import sys
from pathlib import Path

from ..errors import UserError
from ..redact import install_log_redaction, redact
from .eval_hook import run_eval_tasks
from .model_card import CardInfo, hyperparameters, portable_args, push_folder, write_model_card
from .preflight import preflight

__all__ = [
    "finish",
    "last_checkpoint",
    "load_model_and_processor",
    "merge_lora",
    "one_line_errors",
    "resolved_processor_kwargs",
    "run_preflight",
    "setup_logging",
]

logger = logging.getLogger("s2h_dataset.training")


def one_line_errors(main):
    """Print a `UserError` as one line on stderr and exit 2, like the `s2h` CLI."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as err:
            print(f"{os.path.basename(sys.argv[0])}: error: {redact(str(err))}", file=sys.stderr)
            raise SystemExit(2) from None

    return wrapper


def setup_logging(training_args) -> None:
    import datasets
    import transformers

    level = training_args.get_process_log_level()  # transformers' `log_level` / `log_level_replica`
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=[logging.StreamHandler(sys.stdout)]
    )
    install_log_redaction()  # a URL's credentials or a token never reach the training log
    logging.getLogger("s2h_dataset").setLevel(logging.INFO if training_args.should_log else logging.WARNING)
    datasets.utils.logging.set_verbosity(level)
    transformers.utils.logging.set_verbosity(level)


def last_checkpoint(training_args) -> str | None:
    """`resume_from_checkpoint`, else the newest `checkpoint-*` in `output_dir`, else None."""
    from transformers.trainer_utils import get_last_checkpoint

    if training_args.resume_from_checkpoint is not None:
        return training_args.resume_from_checkpoint
    if os.path.isdir(training_args.output_dir):
        found = get_last_checkpoint(training_args.output_dir)
        if found is not None:
            logger.info("resuming from %s (found in output_dir)", found)
        return found
    return None


def resolved_processor_kwargs(model_name_or_path: str, script_args, **hub) -> dict:
    """The family's multi-image processor defaults under the user's `processor_kwargs` (see
    `s2h_dataset.vlm.processor_defaults`); the family is read from the model's config."""
    from transformers import AutoConfig

    from ..vlm.processor_defaults import processor_kwargs_for

    model_type = AutoConfig.from_pretrained(model_name_or_path, **hub).model_type
    kwargs = processor_kwargs_for(
        model_type, script_args.processor_kwargs, defaults=script_args.processor_defaults
    )
    if kwargs:
        logger.info("processor settings for %s: %s", model_type, kwargs)
    return kwargs


def load_model_and_processor(model_args, training_args, script_args):
    """Model + processor as `ModelConfig` asks, through the shared model layer (`vlm.loading`): safetensors,
    remote code only if enabled, the processor with `resolved_processor_kwargs`."""
    from accelerate import PartialState
    from trl import get_quantization_config

    from ..vlm.loading import ModelSpec, load_model, load_processor

    if not model_args.model_name_or_path:
        raise UserError(
            "`model_name_or_path` is required: pass --model_name_or_path with a Hub id or a local folder"
        )
    quantization = get_quantization_config(model_args)
    model_kwargs = dict(
        attn_implementation=model_args.attn_implementation,
        quantization_config=quantization,
        device_map={"": PartialState().local_process_index} if quantization is not None else None,
    )
    model_kwargs.update(training_args.model_init_kwargs or {})
    spec = ModelSpec(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        device="",  # the trainer places the model (or the quantization device_map does)
        dtype="model" if model_args.dtype in ("auto", None) else model_args.dtype,
        trust_remote_code=training_args.trust_remote_code,
        model_kwargs=model_kwargs,
        merge_adapter=False,
    )
    hub = dict(revision=model_args.model_revision, trust_remote_code=training_args.trust_remote_code)
    settings = resolved_processor_kwargs(model_args.model_name_or_path, script_args, **hub)
    processor = load_processor(spec.model, spec.revision, spec.trust_remote_code, settings)
    return load_model(spec), processor


def merge_lora(trainer, folder) -> Path:
    """Merge the trainer's LoRA adapters into its weights and save the full model + processor in
    `folder/merged` (a curriculum's next stage starts from it; the last one's is what is pushed)."""
    merged_dir = Path(folder) / "merged"
    model = trainer.accelerator.unwrap_model(trainer.model)
    merged = model.merge_and_unload()
    merged.save_pretrained(merged_dir, safe_serialization=True)
    trainer.processing_class.save_pretrained(merged_dir)
    return merged_dir


def run_preflight(processor, model, dataset, script_args, max_length, completions):
    """Check `script_args.preflight_rows` rows against this model before any training step."""
    if script_args.preflight_rows == 0:
        logger.warning("preflight skipped (preflight_rows=0)")
        return None
    text_config = model.config.get_text_config()
    return preflight(
        processor,
        dataset,
        max_length=max_length,
        rows=script_args.preflight_rows,
        max_images=script_args.max_images,
        model_type=model.config.model_type,
        context_length=getattr(text_config, "max_position_embeddings", None),
        completions=completions,
    )


def finish(
    trainer,
    script_args,
    training_args,
    model_args,
    mixture,
    method: str,
    argv: list[str] | None,
    stage: dict | None = None,
    merged: Path | None = None,
) -> dict | None:
    """After training: evaluation tasks, the S2H model card and the push (main process only). Returns eval results.

    `merged` (a LoRA curriculum's stage, see `curriculum`) gets its own card; when the stage is the last and
    `stage["push_merged"]` is set, that folder is pushed (full weights) instead of the adapters, whose
    `base_model_name_or_path` is the previous stage's merged folder on this machine."""
    output_dir = training_args.output_dir
    if not trainer.is_world_process_zero():
        return None
    push_merged = bool(stage and stage.get("push_merged") and merged is not None)
    pushing = training_args.push_to_hub or push_merged
    evaluated = run_eval_tasks(
        output_dir, script_args.tasks, os.path.join(output_dir, "eval"), script_args.eval_limit
    )
    results, table = evaluated if evaluated else (None, None)
    script = f"training/{method.lower()}.py"
    args = sys.argv[1:] if argv is None else argv
    if pushing:  # a local path means nothing elsewhere, and the training machine's layout stays private
        args = portable_args(args)
    command = redact("python " + script + " " + shlex.join(args))
    params = hyperparameters(training_args, model_args, trainer.accelerator.num_processes)
    if getattr(script_args, "reward_names", None):  # GRPO: which rewards, beside their weights
        params = {"rewards": list(script_args.reward_names), **params}
    info = CardInfo(
        method=method,
        base_model=model_args.model_name_or_path,
        dataset_name=script_args.dataset_name,
        mixture=mixture.describe(),
        hyperparameters=params,
        model_name=(training_args.hub_model_id or os.path.basename(os.path.abspath(output_dir))).split("/")[
            -1
        ],
        use_peft=model_args.use_peft,
        eval_results=results,
        eval_table=table,
        command=command,
        hub_model_id=trainer.hub_model_id,
        stage=stage,
        portable=training_args.push_to_hub,
    )
    write_model_card(output_dir, info)
    if merged is not None:
        info = dataclasses.replace(
            info,
            base_model=stage["base_model"],  # the curriculum's base (a Hub id when trained from one)
            use_peft=False,
            merged_curriculum=True,
            portable=pushing,
        )
        write_model_card(merged, info)
    if pushing:
        push_folder(
            merged if push_merged else output_dir,
            trainer.hub_model_id or training_args.hub_model_id,
            token=training_args.hub_token,
            private=training_args.hub_private_repo,
            revision=training_args.hub_revision,
        )
    return results
