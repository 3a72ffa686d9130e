"""Every check of `s2h build`'s arguments, in one place, each error naming the flag as the CLI spells it.

`BuildConfig.__post_init__` calls `check_build` once; the captioner's settings are checked once, by
`CaptionerConfig` (with `BUILD_FLAGS`, so `--caption-batch-size 0` names `--caption-batch-size`).
"""

from __future__ import annotations

import re

from .captioners.config import BUILD_FLAGS, CaptionerConfig
from .encoders import BACKENDS
from .errors import UserError
from .levels.common import HARDNESS, SEARCH_NEGATIVES

__all__ = ["EXECUTORS", "VIEWER_ROW_GROUP_MIB", "check_build"]

# `--executor` values; empty: the build runs in this process alone
EXECUTORS = ("", "local", "slurm", "ray")

# the Hub dataset viewer reads whole row groups and refuses (or runs out of memory) above this many MiB
VIEWER_ROW_GROUP_MIB = 286


def _is_repo_id(value: str) -> bool:
    """ORG/NAME as the Hub spells a repo id: two non-empty parts of letters, digits, `-`, `_`, `.`."""
    return re.fullmatch(r"[\w.-]+/[\w.-]+", value) is not None


def _shard_ok(shard: str) -> bool:
    parts = str(shard).split("/")
    return len(parts) == 2 and all(p.isdigit() for p in parts) and 1 <= int(parts[0]) <= int(parts[1])


def check_build(cfg) -> None:
    """Raise a one-line `UserError` for the first bad value of a `BuildConfig`; set `cfg.captioner_config`."""
    checks = [
        (cfg.n_per_level >= 1, "`--n-per-level` must be at least 1"),
        (1 <= cfg.distractors <= 5, "`--distractors` must be between 1 and 5 (2 to 6 images per row)"),
        (cfg.image_size >= 32, "`--image-size` must be at least 32 pixels"),
        (
            cfg.image_format in ("auto", "jpeg", "png", "webp"),
            "`--image-format` must be auto, jpeg, png or webp",
        ),
        (0.0 <= cfg.test_fraction < 0.5, "`--test-fraction` must be in [0, 0.5)"),
        (0.0 < cfg.filter_quantile <= 1.0, "`--filter-quantile` must be in (0, 1]"),
        (
            cfg.filter_backend in BACKENDS,
            f"`--filter-backend` must be one of {', '.join(BACKENDS)}",
        ),
        (cfg.shard_rows >= 1, "`--shard-rows` must be at least 1"),
        (cfg.shard_mib >= 1, "`--shard-mib` must be at least 1"),
        (
            1 <= cfg.row_group_mib <= VIEWER_ROW_GROUP_MIB,
            f"`--row-group-mib` must be between 1 and {VIEWER_ROW_GROUP_MIB} (the Hub viewer's limit)",
        ),
        (cfg.workers >= 1, "`--workers` must be at least 1"),
        (
            cfg.repo_id is None or _is_repo_id(cfg.repo_id),
            f"`--repo-id {cfg.repo_id}` must look like ORG/NAME (a Hub dataset repo)",
        ),
        (cfg.arithmetic_pool >= 8, "`--arithmetic-pool` must be at least 8"),
        (
            cfg.distractor_hardness in HARDNESS,
            f"`--distractor-hardness` must be one of {', '.join(HARDNESS)}",
        ),
        (
            bool(cfg.search_negative_list) and set(cfg.search_negative_list) <= set(SEARCH_NEGATIVES),
            f"`--search-negatives {cfg.search_negatives}` must be a comma list of "
            f"{', '.join(SEARCH_NEGATIVES)}",
        ),
        (_shard_ok(cfg.shard), f"`--shard {cfg.shard}` must be I/N with 1 <= I <= N, e.g. 2/4"),
        (
            cfg.executor in EXECUTORS,
            f"`--executor {cfg.executor}` must be one of {', '.join(EXECUTORS[1:])} (or left out)",
        ),
        (
            not (cfg.executor and cfg.shard != "1/1"),
            "`--executor` and `--shard` are two routes to many machines: pass one of them",
        ),
        (
            cfg.tasks_parallel >= 1 or cfg.tasks_parallel == -1,
            "`--tasks-parallel` must be at least 1, or -1 (no limit)",
        ),
        (cfg.caption_tasks >= 1, "`--caption-tasks` must be at least 1"),
        (
            cfg.executor != "slurm" or bool(cfg.slurm_partition),
            "`--executor slurm` needs `--slurm-partition NAME` (the partition its jobs run in)",
        ),
        (
            cfg.slurm_cpus >= 1 and cfg.slurm_mem_gb >= 1,
            "`--slurm-cpus` and `--slurm-mem-gb` must be >= 1",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    # the captioner's settings, one group from the flat flags, checked once (by `CaptionerConfig`, naming the
    # flags) and passed whole
    cfg.captioner_config = CaptionerConfig(
        cfg.captioner,
        max_new_tokens=cfg.caption_max_new_tokens,
        cache_dir=cfg.caption_cache or None,
        device=cfg.device,
        dtype=cfg.dtype,
        batch_size=cfg.caption_batch_size,
        concurrency=cfg.concurrency,
        api_key_env=cfg.api_key_env,
        timeout=cfg.request_timeout,
        max_retries=cfg.max_retries,
        flags=BUILD_FLAGS,
    )
