"""`s2h train-check`: render a sample of rows through a model's processor before training.

    s2h train-check --model Qwen/Qwen2.5-VL-7B-Instruct --dataset build/s2h-dpo [--config all] [--max-length 2048] [--rows 64]
    s2h train-check --model HuggingFaceTB/SmolVLM-Instruct --dataset build/s2h-dpo --processor-kwargs '{"do_image_splitting": true}'

The processor is loaded with the same settings as training (the family's multi-image defaults of
`s2h_dataset.processor_defaults` under `--processor-kwargs`), so the token counts match the training run's.

Fails with one line when image parts and images disagree, when `max_length` would cut image tokens or the
completion, or when a row has more images than the model takes; otherwise prints what the rows need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HELP = "check rows against a model's processor before training (image tokens, max_length, images per row)"


@dataclass
class TrainCheckArgs:
    """model (str): Hub id or local folder. dataset (str): Hub id or `s2h build` folder. config (str, all).
    split (str, train). max_length (int, None = no truncation). rows (int, 16; -1 all). max_images (int, None).
    method (str, dpo): dpo checks chosen and rejected, sft the chosen reply. revision, trust_remote_code.
    """

    model: str = field(
        metadata={"help": "Hub id or local folder of the model (only its config and processor load)."}
    )
    dataset: str = field(metadata={"help": "Hub id or `s2h build --out` folder of the dataset."})
    config: str = field(default="all", metadata={"help": "`all` or a comma list of levels, e.g. `level3`."})
    split: str = field(default="train", metadata={"help": "Split to check."})
    max_length: int | None = field(
        default=None, metadata={"help": "The training max_length (unset: no truncation)."}
    )
    rows: int = field(default=16, metadata={"help": "Rows checked, spread over the split (-1: all)."})
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

        if self.method not in ("dpo", "sft"):
            raise UserError(f"`--method` must be dpo or sft, got `{self.method}`")
        if self.rows == 0 or self.rows < -1:
            raise UserError(f"`--rows` must be a positive count or -1 (all), got {self.rows}")
        if self.max_length is not None and self.max_length < 1:
            raise UserError(f"`--max-length` must be positive, got {self.max_length}")
        from ..processor_defaults import parse_processor_kwargs

        self.processor_kwargs = parse_processor_kwargs(self.processor_kwargs, "--processor-kwargs")


ARGS = (TrainCheckArgs,)


def run(args: TrainCheckArgs) -> int:
    from datasets import concatenate_datasets
    from transformers import AutoConfig

    from ..processor_defaults import processor_kwargs_for
    from ..training.arguments import parse_levels
    from ..training.mixture import load_levels
    from ..training.preflight import preflight
    from ..vlm.loading import load_processor

    levels = parse_levels(args.config, "config")
    dataset = concatenate_datasets(list(load_levels(args.dataset, levels, args.split).values()))
    hub = dict(revision=args.revision, trust_remote_code=args.trust_remote_code)
    config = AutoConfig.from_pretrained(args.model, **hub)
    settings = processor_kwargs_for(
        config.model_type, args.processor_kwargs, defaults=args.processor_defaults
    )
    processor = load_processor(args.model, args.revision, args.trust_remote_code, settings)
    report = preflight(
        processor,
        dataset,
        max_length=args.max_length,
        rows=args.rows,
        max_images=args.max_images,
        model_type=config.model_type,
        completions=("chosen",) if args.method == "sft" else ("chosen", "rejected"),
        context_length=getattr(config.get_text_config(), "max_position_embeddings", None),
    )
    shown = f" with {settings}" if settings else ""
    print(f"{args.model}{shown} on {args.dataset} ({args.config}/{args.split}): ok, {report.summary()}")
    return 0
