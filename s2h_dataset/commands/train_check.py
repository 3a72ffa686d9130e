"""`s2h train-check`: render a sample of rows through a model's processor before training.

    s2h train-check --model-name-or-path Qwen/Qwen2.5-VL-7B-Instruct --dataset-name build/s2h-dpo
                    [--dataset-config all] [--max-length 2048] [--preflight-rows 64]
    s2h train-check --model-name-or-path HuggingFaceTB/SmolVLM-Instruct --dataset-name build/s2h-dpo \
                    --processor-kwargs '{"do_image_splitting": true}'

The option names are the training YAML's (`model_name_or_path`, `dataset_name`, `dataset_config`,
`preflight_rows`); the old `--model`, `--dataset`, `--config` and `--rows` still work for one release.

The processor is loaded with the same settings as training (the family's multi-image defaults of
`s2h_dataset.vlm.processor_defaults` under `--processor-kwargs`), so the token counts match the training run's.

Fails with one line when image parts and images disagree, when `max_length` would cut image tokens or the
completion, or when a row has more images than the model takes; otherwise prints what the rows need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..training.arguments import S2HScriptArguments

# the training script's fields train-check takes as they are (default, help, checks, meaning: 0 rows skips)
SHARED = (
    "dataset_name",
    "dataset_config",
    "preflight_rows",
    "max_images",
    "processor_kwargs",
    "processor_defaults",
)


def _shared(name: str, required: bool = False, **metadata):
    """Field `name` of `S2HScriptArguments` with train-check's extra `metadata` (its old flag names)."""
    source = S2HScriptArguments.__dataclass_fields__[name]
    meta = {**source.metadata, **metadata}
    return field(metadata=meta) if required else field(default=source.default, metadata=meta)


@dataclass
class TrainCheckArgs:
    """Arguments of `s2h train-check`; the dataset and processor fields are the training script's own
    (`S2HScriptArguments`: same defaults, help, checks and meaning).

    Parameters:
        > Parameters that name the model and the rows

        model_name_or_path (`str`):
            Hub id or local folder of the model (only its config and processor load).
        dataset_name (`str`):
            Hub id or `s2h build --out` folder of the dataset (required here).
        dataset_config (`str`, *optional*, defaults to `"all"`):
            `all`, or a comma list of levels (`layout.parse_levels`).
        split (`str`, *optional*, defaults to `"train"`):
            Split to check.

        > Parameters of the check

        max_length (`int`, *optional*):
            The training `max_length` (unset: no truncation).
        preflight_rows (`int`, *optional*, defaults to `16`):
            Rows checked, spread over the split; -1 all, 0 skips the check, as in training.
        max_images (`int`, *optional*):
            Most images per row the model takes.
        method (`str`, *optional*, defaults to `"dpo"`):
            `dpo` checks chosen and rejected, `sft` the chosen reply.

        > Parameters of the model's processor

        revision (`str`, *optional*):
            Model revision.
        trust_remote_code (`bool`, *optional*, defaults to `False`):
            Allow processor code from the model repo.
        processor_kwargs (`str`, *optional*):
            JSON object of processor settings over the family defaults, as in training.
        processor_defaults (`bool`, *optional*, defaults to `True`):
            Apply the family's multi-image processor defaults, as training does.
    """

    model_name_or_path: str = field(
        metadata={
            "help": "Hub id or local folder of the model (only its config and processor load).",
            "aliases": "--model",
        }
    )
    dataset_name: str = _shared("dataset_name", required=True, aliases="--dataset")
    dataset_config: str = _shared("dataset_config", aliases="--config")
    split: str = field(default="train", metadata={"help": "Split to check."})
    max_length: int | None = field(
        default=None, metadata={"help": "The training max_length (unset: no truncation)."}
    )
    preflight_rows: int = _shared("preflight_rows", aliases="--rows")
    max_images: int | None = _shared("max_images")
    method: str = field(default="dpo", metadata={"help": "dpo (chosen and rejected) or sft (chosen only)."})
    revision: str | None = field(default=None, metadata={"help": "Model revision."})
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Allow processor code from the model repo."}
    )
    processor_kwargs: str | None = _shared("processor_kwargs")
    processor_defaults: bool = _shared("processor_defaults")

    def __post_init__(self):
        from ..errors import UserError
        from ..hubnet import require_model

        require_model(self.model_name_or_path, "--model-name-or-path")
        if self.method not in ("dpo", "sft"):
            raise UserError(f"`--method` must be dpo or sft, got `{self.method}`")
        if self.max_length is not None and self.max_length < 1:
            raise UserError(f"`--max-length` must be positive, got {self.max_length}")
        # the training script's own checks and parsing, before `run` imports torch and transformers, with
        # the errors naming this command's flags (`dataset_config` -> `--dataset-config`)
        try:
            training = S2HScriptArguments(**{name: getattr(self, name) for name in SHARED})
        except UserError as err:
            names = "|".join(SHARED)
            raise UserError(
                re.sub(rf"`({names})`", lambda m: f"`--{m.group(1).replace('_', '-')}`", str(err))
            ) from None
        self.levels, self.processor_kwargs = training.levels, training.processor_kwargs


ARGS = (TrainCheckArgs,)


def uses_hub(args: TrainCheckArgs) -> bool:
    from pathlib import Path

    return not all(Path(p).expanduser().exists() for p in (args.model_name_or_path, args.dataset_name))


def run(args: TrainCheckArgs) -> int:
    if args.preflight_rows == 0:
        print(f"{args.model_name_or_path} on {args.dataset_name}: nothing checked (--preflight-rows 0 skips)")
        return 0
    from datasets import concatenate_datasets
    from transformers import AutoConfig

    from ..training.mixture import load_levels
    from ..training.preflight import preflight
    from ..vlm.loading import load_processor
    from ..vlm.processor_defaults import processor_kwargs_for

    dataset = concatenate_datasets(list(load_levels(args.dataset_name, args.levels, args.split).values()))
    hub = dict(revision=args.revision, trust_remote_code=args.trust_remote_code)
    config = AutoConfig.from_pretrained(args.model_name_or_path, **hub)
    settings = processor_kwargs_for(
        config.model_type, args.processor_kwargs, defaults=args.processor_defaults
    )
    processor = load_processor(args.model_name_or_path, args.revision, args.trust_remote_code, settings)
    report = preflight(
        processor,
        dataset,
        max_length=args.max_length,
        rows=args.preflight_rows,
        max_images=args.max_images,
        model_type=config.model_type,
        completions=("chosen",) if args.method == "sft" else ("chosen", "rejected"),
        context_length=getattr(config.get_text_config(), "max_position_embeddings", None),
    )
    shown = f" with {settings}" if settings else ""
    print(
        f"{args.model_name_or_path}{shown} on {args.dataset_name} ({args.dataset_config}/{args.split}): "
        f"ok, {report.summary()}"
    )
    return 0
