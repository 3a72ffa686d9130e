"""`s2h build --out DIR ...`: generate the three-level dataset into a Hub-layout folder."""

from pathlib import Path

from ..configs import BuildConfig

HELP = "build the S2H-DPO dataset into a folder laid out like a Hub dataset repo"
ARGS = (BuildConfig,)


def uses_hub(cfg: BuildConfig) -> bool:
    """Only `hub:` sources, model captioners and a non-bundled filter encoder may reach the Hub."""
    from ..filtering import DEFAULT_ENCODER

    return (
        any(s.startswith("hub:") for s in cfg.source)
        or cfg.captioner.startswith("transformers:")
        or (cfg.filter and cfg.filter_model != DEFAULT_ENCODER and not Path(cfg.filter_model).exists())
    )


def run(cfg: BuildConfig) -> int:
    from ..build import build, summary

    if cfg.executor:  # the stages on datatrove (`engine/`): run here or submitted to SLURM
        from ..engine import run_build

        print(run_build(cfg))
        return 0
    print(summary(build(cfg)))
    return 0
