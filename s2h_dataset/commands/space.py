"""`s2h space`: serve the Gradio Space locally (global visual search + dataset explorer)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import UserError
from ..hubnet import require_model
from ..vlm.processor_defaults import parse_processor_kwargs
from . import is_local, require_folder


@dataclass
class SpaceArguments:
    """Arguments of `s2h space`.

    Parameters:
        model_name_or_path (`str | None`, *optional*):
            Fine-tuned checkpoint that answers (folder or Hub id); default $MODEL_ID. The training YAML's name;
            `--model` still works for one release.
        base_model (`str | None`, *optional*):
            Optional base model shown side by side; default $BASE_MODEL_ID.
        dataset_name (`str | None`, *optional*):
            Dataset folder or Hub id the explorer opens first; default $DATASET_ID. `--dataset` still works
            for one release.
        processor_kwargs (`str | None`, *optional*):
            JSON passed to the processor(s), as in `s2h eval`, e.g. '{"do_image_splitting": false}'; default
            $PROCESSOR_KWARGS.
        host (`str`, *optional*, defaults to `"127.0.0.1"`):
            Address to listen on (0.0.0.0 for the whole network).
        port (`int`, *optional*, defaults to `7860`):
            Port to listen on.
        share (`bool`, *optional*, defaults to `False`):
            Also serve through a temporary public link (Gradio's share=True, a *.gradio.live tunnel for 1
            week); anyone with the link can use the demo.
    """

    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Fine-tuned checkpoint that answers (folder or Hub id); default $MODEL_ID.",
            "aliases": "--model",
            "metavar": "ID_OR_PATH",
        },
    )
    base_model: str | None = field(
        default=None, metadata={"help": "Optional base model shown side by side; default $BASE_MODEL_ID."}
    )
    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "Dataset folder or Hub id the explorer opens first; default $DATASET_ID.",
            "aliases": "--dataset",
            "metavar": "ID_OR_PATH",
        },
    )
    processor_kwargs: str | None = field(
        default=None,
        metadata={
            "help": "JSON passed to the processor(s), as in `s2h eval`, e.g. '{\"do_image_splitting\": false}'; "
            "default $PROCESSOR_KWARGS."
        },
    )
    host: str = field(
        default="127.0.0.1", metadata={"help": "Address to listen on (0.0.0.0 for the whole network)."}
    )
    port: int = field(default=7860, metadata={"help": "Port to listen on."})
    share: bool = field(
        default=False,
        metadata={
            "help": "Also serve through a temporary public link (Gradio's share=True, a *.gradio.live tunnel for "
            "1 week); anyone with the link can use the demo."
        },
    )

    def __post_init__(self):
        self.model_name_or_path = self.model_name_or_path or os.environ.get("MODEL_ID") or None
        self.base_model = self.base_model or os.environ.get("BASE_MODEL_ID") or None
        self.dataset_name = self.dataset_name or os.environ.get("DATASET_ID") or None
        self.processor_kwargs = self.processor_kwargs or os.environ.get("PROCESSOR_KWARGS") or None
        parse_processor_kwargs(
            self.processor_kwargs, "--processor-kwargs"
        )  # a bad JSON fails here, in one line
        if not 0 < self.port < 65536:
            raise UserError(f"`--port {self.port}` must be between 1 and 65535")
        require_model(self.model_name_or_path, "--model-name-or-path")
        require_model(self.base_model, "--base-model")
        if is_local(self.dataset_name):
            require_folder(self.dataset_name, "--dataset-name")


ARGS = (SpaceArguments,)


def uses_hub(args: SpaceArguments) -> bool:
    return any(v and not is_local(v) for v in (args.model_name_or_path, args.base_model, args.dataset_name))


def run(args: SpaceArguments) -> int:
    from ..space import create_app, launch
    from ..space.limits import Limits

    limits = Limits()
    demo = create_app(
        args.model_name_or_path,
        args.base_model,
        args.dataset_name,
        limits=limits,
        processor_kwargs=args.processor_kwargs,
    )
    launch(demo, limits=limits, host=args.host, port=args.port, share=args.share)
    return 0
