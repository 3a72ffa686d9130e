"""`s2h build --out DIR ...`: generate the three-level dataset into a Hub-layout folder."""

from pathlib import Path

from ..configs import BuildConfig

ARGS = (BuildConfig,)
RESUMES = True  # encoded images and finished shards of an interrupted build are reused
# `s2h build --help` in sections (TRL's and `hf`'s help group theirs); a field in none stays under "options"
GROUPS = {
    "what to build": (
        "levels",
        "n_per_level",
        "distractors",
        "seed",
        "test_fraction",
        "distractor_hardness",
        "search_negatives",
    ),
    "sources": ("source", "image_column", "label_column", "caption_column", "arithmetic_pool"),
    "captioner": (
        "captioner",
        "caption_max_new_tokens",
        "dtype",
        "device",
        "caption_batch_size",
        "concurrency",
        "api_key_env",
        "request_timeout",
        "max_retries",
        "caption_cache",
    ),
    "filter": ("filter", "filter_quantile", "filter_model", "filter_backend", "keep_flagged"),
    "output": (
        "out",
        "image_size",
        "image_format",
        "shard_rows",
        "shard_mib",
        "row_group_mib",
        "license",
        "repo_id",
        "overwrite",
    ),
    "runtime": ("workers", "shard", "quiet"),
}


def uses_hub(cfg: BuildConfig) -> bool:
    """Only `hub:` sources, model captioners and a non-bundled filter encoder may reach the Hub."""
    from ..filtering import DEFAULT_ENCODER

    return (
        any(s.startswith("hub:") for s in cfg.source)
        or cfg.captioner.startswith("transformers:")
        or (cfg.filter and cfg.filter_model != DEFAULT_ENCODER and not Path(cfg.filter_model).exists())
    )


def run(cfg: BuildConfig) -> int:
    import logging

    # the engine's imports (datasets, transformers) and the sources take seconds: say so at once
    if not cfg.quiet:
        logging.getLogger("s2h_dataset.build").info("starting: reading the sources %s", ", ".join(cfg.source))
    from ..build import build, summary

    if cfg.executor:  # the stages on datatrove (`engine/`): run here or submitted to SLURM
        from ..engine import run_build

        print(run_build(cfg))
        return 0
    print(summary(build(cfg)))
    return 0
