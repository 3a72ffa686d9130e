"""`EvalConfig`: every setting of `s2h eval` / `run_eval(config)`, validated once, and the resume key.

The resume key (`answer_settings`) lists, per task, every setting that can change a reply: model and its
revision, protocol, generation settings, processor settings, backend, CircularEval, the dataset read and
the task's own fields (probe seed, source, size, style, holdout). Rerunning into the same folder with any
of them changed refuses in one line (or, with `--resume fresh`, re-asks that task). `eval_limit` is not part
of it: a question's reply does not depend on how many others are asked.

The option names are the training YAML's (`model_name_or_path`, `eval_tasks`, `eval_limit`), so one concept
has one name in `s2h eval`, `training/*.py` and the recipes; the old `--model`, `--tasks`, `--limit` and
`--limit-seed` still work for one release (with a rename note). The files a run writes keep their keys
(`run.json` and the resume key say `model`), so folders from earlier runs resume unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from ..hubnet import require_model
from ..vlm.openai_client import parse_openai_spec
from .spec import MODEL_FAMILIES, PROTOCOLS, REGISTRY, get_task, model_family

__all__ = ["DEFAULT_TASKS", "EvalConfig", "answer_settings"]

DEFAULT_TASKS = "blink,mantis,nlvr2,mmstar,pope,l3probe"
RESUME_MODES = ("refuse", "fresh")


def _pairs(entries: list[str], flag: str) -> dict[str, str]:
    out = {}
    for entry in entries:
        task, sep, value = entry.partition("=")
        if not sep or not value:
            raise UserError(f"`--{flag} {entry}`: use TASK=VALUE, e.g. --{flag} blink=...")
        get_task(task)
        out[task] = value
    return out


@dataclass
class EvalConfig:
    """Arguments of `s2h eval` and `run_eval`.

    Parameters:
        > Parameters that name the model and the tasks

        model_name_or_path (`str | None`, *optional*):
            Hub id or local folder of the image-text-to-text model to evaluate; required unless --rescore.
        eval_tasks (`str`, *optional*, defaults to `"blink,mantis,nlvr2,mmstar,pope,l3probe"`):
            Comma-separated tasks: blink,mantis,nlvr2,mmstar,pope,l3probe,s2h_test.
        out (`str | None`, *optional*):
            Output folder: predictions.jsonl, results.json, results.md, run.json.
        rescore (`str | None`, *optional*):
            Recompute results in this folder from predictions.jsonl (no model).
        protocol (`str`, *optional*, defaults to `"s2h"`):
            Prompt preset: s2h, lmms-eval, vlmevalkit, official (README: what each changes).
        model_family (`str`, *optional*, defaults to `"auto"`):
            Whose per-model prompts a reference uses (VLMEvalKit): auto (the model's config.json model_type,
            else its name), llava, qwen2_vl, qwen3_vl or none.
        eval_limit (`int | None`, *optional*):
            N questions per task, spread evenly over its subtasks (seeded).
        eval_limit_seed (`int`, *optional*, defaults to `0`):
            Seed of the --eval-limit draw.
        circular (`bool`, *optional*, defaults to `False`):
            CircularEval: ask multiple-choice questions once per option rotation; all must be right.
        blank_images (`str`, *optional*, defaults to `"no"`):
            Replace every image by one mid-grey image of its size: no, yes (that run only) or both (with and
            without images, into `OUT/blank-images`; results add the multi-modal gain, accuracy with minus
            without, when both runs used the same settings, limit and questions).
        resume (`str`, *optional*, defaults to `"refuse"`):
            A folder holding answers made with other settings: refuse, or fresh (re-ask; old kept aside).

        > Parameters that control generation

        batch_size (`int`, *optional*, defaults to `1`):
            Questions per generate call; 1 is the reproducible setting.
        max_new_tokens (`int | None`, *optional*):
            Tokens generated per reply (greedy); default: the protocol's value.
        backend (`str`, *optional*, defaults to `"transformers"`):
            transformers (in process) or openai:BASE_URL#MODEL (a server).
        concurrency (`int`, *optional*, defaults to `8`):
            Parallel requests with --backend openai:...
        judge (`str | None`, *optional*):
            openai:BASE_URL#MODEL: asked only for replies the rules cannot read.
        model_revision (`str | None`, *optional*):
            Model revision (branch, tag or commit).
        device (`str`, *optional*, defaults to `"auto"`):
            auto, cpu, cuda or cuda:N.
        dtype (`str`, *optional*, defaults to `"auto"`):
            auto (bfloat16 on GPU, float32 on CPU), float16, bfloat16, float32.
        trust_remote_code (`bool`, *optional*, defaults to `False`):
            Allow model code from the Hub repo.
        processor_kwargs (`str | None`, *optional*):
            JSON passed to the processor, e.g. '{"max_pixels": 802816}' or '{"do_image_splitting": false}'.

        > Parameters that control the datasets

        dataset_path (`list[str]`, *optional*, defaults to `[]`):
            TASK=PATH: read TASK from a local copy laid out like its Hub repo.
        revision (`list[str]`, *optional*, defaults to `[]`):
            TASK=REV: read TASK's Hub dataset at this revision (commit).
        probe_source (`str`, *optional*, defaults to `"emoji"`):
            Level-3 probe images: emoji, imagefolder:PATH or hub:ID[:CONFIG][@SPLIT].
        probe_questions (`int`, *optional*, defaults to `500`):
            Questions in the Level-3 probe.
        probe_seed (`int`, *optional*, defaults to `0`):
            Seed of the Level-3 probe.
        probe_style (`str`, *optional*, defaults to `"letter"`):
            Probe options: letter (A. Image 1 ...) or number.
        probe_holdout (`float`, *optional*, defaults to `0.05`):
            Probe only on images a build with this --test-fraction holds out (0 = every image).
        train_dataset (`str | None`, *optional*):
            Build folder or Hub id the model was trained on: check the probe's images are held out.
        test_dataset (`str | None`, *optional*):
            s2h_test: the built dataset (folder or Hub id) whose test split is scored.
        test_config (`str`, *optional*, defaults to `"all"`):
            s2h_test: config of --test-dataset (all, level1..3).
        reference_model (`str | None`, *optional*):
            s2h_test: score DPO implicit rewards against this reference model.
    """

    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Hub id or local folder of the image-text-to-text model to evaluate; required unless "
            "--rescore.",
            "aliases": "--model",
            "metavar": "ID_OR_PATH",
        },
    )
    eval_tasks: str = field(
        default=DEFAULT_TASKS,
        metadata={
            "help": f"Comma-separated tasks: {DEFAULT_TASKS},s2h_test.",
            "aliases": "--tasks",
            "metavar": "TASKS",
        },
    )
    out: str | None = field(
        default=None,
        metadata={"help": "Output folder: predictions.jsonl, results.json, results.md, run.json."},
    )
    rescore: str | None = field(
        default=None, metadata={"help": "Recompute results in this folder from predictions.jsonl (no model)."}
    )
    protocol: str = field(
        default="s2h",
        metadata={"help": f"Prompt preset: {', '.join(PROTOCOLS)} (README: what each changes)."},
    )
    model_family: str = field(
        default="auto",
        metadata={
            "help": "Whose per-model prompts a reference uses (VLMEvalKit): auto (the model's config.json "
            f"model_type, else its name), {', '.join(MODEL_FAMILIES)} or none."
        },
    )
    eval_limit: int | None = field(
        default=None,
        metadata={
            "help": "N questions per task, spread evenly over its subtasks (seeded).",
            "aliases": "--limit",
        },
    )
    eval_limit_seed: int = field(
        default=0, metadata={"help": "Seed of the --eval-limit draw.", "aliases": "--limit-seed"}
    )
    batch_size: int = field(
        default=1, metadata={"help": "Questions per generate call; 1 is the reproducible setting."}
    )
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "Tokens generated per reply (greedy); default: the protocol's value."}
    )
    circular: bool = field(
        default=False,
        metadata={
            "help": "CircularEval: ask multiple-choice questions once per option rotation; all must be right."
        },
    )
    blank_images: str = field(
        default="no",
        metadata={
            "help": "Replace every image by one mid-grey image of its size: no, yes (that run only) or both "
            "(with and without images; results add the multi-modal gain, accuracy with minus without)."
        },
    )
    dataset_path: list[str] = field(
        default_factory=list,
        metadata={"help": "TASK=PATH: read TASK from a local copy laid out like its Hub repo."},
    )
    revision: list[str] = field(
        default_factory=list,
        metadata={"help": "TASK=REV: read TASK's Hub dataset at this revision (commit)."},
    )
    model_revision: str | None = field(
        default=None, metadata={"help": "Model revision (branch, tag or commit)."}
    )
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N."})
    dtype: str = field(
        default="auto",
        metadata={"help": "auto (bfloat16 on GPU, float32 on CPU), float16, bfloat16, float32."},
    )
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow model code from the Hub repo."})
    processor_kwargs: str | None = field(
        default=None,
        metadata={
            "help": "JSON passed to the processor, e.g. '{\"max_pixels\": 802816}' or '{\"do_image_splitting\": false}'."
        },
    )
    backend: str = field(
        default="transformers",
        metadata={"help": "transformers (in process) or openai:BASE_URL#MODEL (a server)."},
    )
    concurrency: int = field(default=8, metadata={"help": "Parallel requests with --backend openai:..."})
    judge: str | None = field(
        default=None,
        metadata={"help": "openai:BASE_URL#MODEL: asked only for replies the rules cannot read."},
    )
    resume: str = field(
        default="refuse",
        metadata={
            "help": "A folder holding answers made with other settings: refuse, or fresh (re-ask; old kept aside)."
        },
    )
    probe_source: str = field(
        default="emoji",
        metadata={"help": "Level-3 probe images: emoji, imagefolder:PATH or hub:ID[:CONFIG][@SPLIT]."},
    )
    probe_questions: int = field(default=500, metadata={"help": "Questions in the Level-3 probe."})
    probe_seed: int = field(default=0, metadata={"help": "Seed of the Level-3 probe."})
    probe_style: str = field(
        default="letter", metadata={"help": "Probe options: letter (A. Image 1 ...) or number."}
    )
    probe_holdout: float = field(
        default=0.05,
        metadata={
            "help": "Probe only on images a build with this --test-fraction holds out (0 = every image)."
        },
    )
    train_dataset: str | None = field(
        default=None,
        metadata={
            "help": "Build folder or Hub id the model was trained on: check the probe's images are held out."
        },
    )
    test_dataset: str | None = field(
        default=None,
        metadata={"help": "s2h_test: the built dataset (folder or Hub id) whose test split is scored."},
    )
    test_config: str = field(
        default="all", metadata={"help": "s2h_test: config of --test-dataset (all, level1..3)."}
    )
    reference_model: str | None = field(
        default=None, metadata={"help": "s2h_test: score DPO implicit rewards against this reference model."}
    )

    def __post_init__(self):
        if self.rescore:
            return
        if not self.model_name_or_path:
            raise UserError(
                "`--model-name-or-path` is required (a Hub id or a local folder); or use `--rescore DIR`"
            )
        require_model(self.model_name_or_path, "--model-name-or-path")
        require_model(self.reference_model, "--reference-model")
        if not self.out:
            raise UserError("`--out` is required: the folder for predictions.jsonl and results")
        if not self.task_list:
            raise UserError(f"`--eval-tasks` is empty; choose from {DEFAULT_TASKS},s2h_test")
        for task in self.task_list:
            get_task(task)
        if self.protocol not in PROTOCOLS:
            raise UserError(f"`--protocol {self.protocol}`: choose one of {', '.join(PROTOCOLS)}")
        if self.model_family not in ("auto", "none", *MODEL_FAMILIES):
            raise UserError(
                f"`--model-family {self.model_family}`: choose auto, none or one of {', '.join(MODEL_FAMILIES)}"
            )
        if self.blank_images not in ("no", "yes", "both"):
            raise UserError(f"`--blank-images {self.blank_images}`: choose no, yes or both")
        if self.resume not in RESUME_MODES:
            raise UserError(f"`--resume {self.resume}`: choose refuse or fresh")
        for name in ("eval_limit", "max_new_tokens"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UserError(f"`--{name.replace('_', '-')}` must be at least 1, got {value}")
        if self.batch_size < 1 or self.concurrency < 1:
            raise UserError("`--batch-size` and `--concurrency` must be at least 1")
        _ = (self.dataset_paths, self.revisions, self.processor_options)  # each validates its entries
        for flag in ("backend", "judge"):
            value = getattr(self, flag)
            if value and value != "transformers":
                if not value.startswith("openai:"):
                    raise UserError(
                        f"`--{flag} {value}`: use openai:BASE_URL#MODEL (e.g. openai:http://localhost:8000/v1#my-model)"
                    )
                parse_openai_spec(value.removeprefix("openai:"), f"`--{flag}`")  # the rule the client uses
        if "s2h_test" in self.task_list and not self.test_dataset:
            raise UserError(
                "`--eval-tasks s2h_test` needs `--test-dataset DIR_OR_ID` (a built S2H-DPO dataset)"
            )

    @property
    def task_list(self) -> list[str]:
        return [t.strip() for t in self.eval_tasks.split(",") if t.strip()]

    @property
    def dataset_paths(self) -> dict[str, str]:
        return _pairs(self.dataset_path, "dataset-path")

    @property
    def revisions(self) -> dict[str, str]:
        return _pairs(self.revision, "revision")

    @property
    def processor_options(self) -> dict[str, Any]:
        from ..vlm.processor_defaults import parse_processor_kwargs

        return parse_processor_kwargs(self.processor_kwargs, "--processor-kwargs") or {}

    @property
    def family(self) -> str:
        """The model family whose per-model prompt variants apply ("" = the dataset default)."""
        if self.model_family == "auto":
            return model_family(self.model_name_or_path)
        return "" if self.model_family == "none" else self.model_family

    def prompt(self, task: str):
        """`task`'s prompt under this run's protocol and model family."""
        return get_task(task).prompt(self.protocol, self.family)

    def max_tokens(self, task: str) -> int:
        return self.max_new_tokens or self.prompt(task).max_new_tokens


def answer_settings(config: EvalConfig, task: str, generator: str | None = None) -> dict[str, Any]:
    """Everything that can change `task`'s replies (the resume key), as a flat JSON-able dict.

    `generator` is the answering object's name (the model path for transformers, the served model name
    for openai:, a scripted model's name in tests)."""
    spec = REGISTRY[task]
    settings = {
        "model": config.model_name_or_path,
        "generator": generator or config.model_name_or_path,
        "model_revision": config.model_revision,
        "protocol": spec.prompt_protocol(config.protocol),
        "max_new_tokens": config.max_tokens(task),
        "batch_size": config.batch_size,
        "dtype": config.dtype,
        "processor_kwargs": config.processor_options,
        "backend": config.backend,
        "circular": config.circular and spec.circular,
        "dataset_path": config.dataset_paths.get(task),
        "revision": config.revisions.get(task),
    }
    if config.blank_images == "yes":  # absent otherwise, so earlier folders resume as before
        settings["blank_images"] = True
    settings.update({name: getattr(config, name) for name in spec.key_fields})
    return settings
