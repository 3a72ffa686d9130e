"""`s2h build --out DIR ...`: generate the three-level dataset into a Hub-layout folder."""

from ..configs import BuildConfig

HELP = "build the S2H-DPO dataset into a folder laid out like a Hub dataset repo"
ARGS = (BuildConfig,)


def run(cfg: BuildConfig) -> int:
    from ..build import build

    print(build(cfg))
    return 0
