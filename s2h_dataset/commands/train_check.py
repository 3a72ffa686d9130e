"""`s2h train-check`: render a sample of rows through a model's processor before training.

    s2h train-check --model-name-or-path Qwen/Qwen2.5-VL-7B-Instruct --dataset-name build/s2h-dpo
                    [--dataset-config all] [--max-length 2048] [--preflight-rows 64]
    s2h train-check --model-name-or-path HuggingFaceTB/SmolVLM-Instruct --dataset-name build/s2h-dpo \
                    --processor-kwargs '{"do_image_splitting": true}'

The option names are the training YAML's (`model_name_or_path`, `dataset_name`, `dataset_config`,
`preflight_rows`); the old `--model`, `--dataset`, `--config` and `--rows` still work for one release.

The processor is loaded with the same settings as training (the family's multi-image defaults of
`s2h_dataset.processor_defaults` under `--processor-kwargs`), so the token counts match the training run's.

Fails with one line when image parts and images disagree, when `max_length` would cut image tokens or the
completion, or when a row has more images than the model takes; otherwise prints what the rows need.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainCheckArgs:
    """model_name_or_path (str): Hub id or local folder. dataset_name (str): Hub id or `s2h build` folder.
    dataset_config (str, all). split (str, train). max_length (int, None = no truncation).
    preflight_rows (int, 16; -1 all). max_images (int, None). method (str, dpo): dpo checks chosen and
    rejected, sft the chosen reply. revision, trust_remote_code, processor_kwargs, processor_defaults.
    """

    model_name_or_path: str = field(
        metadata={
            "help": "Hub id or local folder of the model (only its config and processor load).",
            "aliases": "--model",
        }
    )
    dataset_name: str = field(
        metadata={"help": "Hub id or `s2h build --out` folder of the dataset.", "aliases": "--dataset"}
    )
    dataset_config: str = field(
        default="all",
        metadata={"help": "`all` or a comma list of levels, e.g. `level3`.", "aliases": "--config"},
    )
    split: str = field(default="train", metadata={"help": "Split to check."})
    max_length: int | None = field(
        default=None, metadata={"help": "The training max_length (unset: no truncation)."}
    )
    preflight_rows: int = field(
        default=16, metadata={"help": "Rows checked, spread over the split (-1: all).", "aliases": "--rows"}
    )
    max_images: int | None = field(default=None, metadata={"help": "Most images per row the model takes."})
    method: str = field(default="dpo", metadata={"help": "dpo (chosen and rejected) or sft (chosen only)."})
    revision: str | None = field(default=None, metadata={"help": "Model revision."})
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Allow processor code from the model repo."}
    )
    processor_kwargs: str | None = field(
        default=None,
        metadata={"help": "JSON object of processor settings over the family defaults, as in training."},
    )
    processor_defaults: bool = field(
        default=True,
        metadata={"help": "Apply the family's multi-image processor defaults, as training does."},
    )

    def __post_init__(self):
        from ..errors import UserError
        from ..hubnet import require_model

        require_model(self.model_name_or_path, "--model-name-or-path")
        if self.method not in ("dpo", "sft"):
            raise UserError(f"`--method` must be dpo or sft, got `{self.method}`")
        if self.preflight_rows == 0 or self.preflight_rows < -1:
            raise UserError(
                f"`--preflight-rows` must be a positive count or -1 (all), got {self.preflight_rows}"
            )
        if self.max_length is not None and self.max_length < 1:
            raise UserError(f"`--max-length` must be positive, got {self.max_length}")
        from ..processor_defaults import parse_processor_kwargs
        from ..training.arguments import parse_levels

        # before `run` imports torch and transformers: a wrong level fails in a second, naming the flag
        self.levels = parse_levels(self.dataset_config, "--dataset-config")
        self.processor_kwargs = parse_processor_kwargs(self.processor_kwargs, "--processor-kwargs")


ARGS = (TrainCheckArgs,)


def uses_hub(args: TrainCheckArgs) -> bool:
    from pathlib import Path

    return not all(Path(p).expanduser().exists() for p in (args.model_name_or_path, args.dataset_name))


def run(args: TrainCheckArgs) -> int:
    from datasets import concatenate_datasets
    from transformers import AutoConfig

    from ..processor_defaults import processor_kwargs_for
    from ..training.mixture import load_levels
    from ..training.preflight import preflight
    from ..vlm.loading import load_processor

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
