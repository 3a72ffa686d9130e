"""The layout of a built folder (= a Hub dataset repo), defined once.

```
README.md                                   card; YAML `configs:` level1 / level2 / level3 / all
build_report.json                           counts, skipped inputs, timings
data/level{L}/{split}-{IIIII}-of-{NNNNN}.parquet
plots/{name}.png                            the card's figures
```
These are the only kinds of file a build publishes (`is_layout_file`); anything else in a folder or its
manifest is refused by `s2h validate` and never uploaded by `s2h push`.

Every module that writes, reads, checks or serves a built folder takes its names from here: levels,
splits, config names and the levels each holds, the shard path pattern (build and parse), the glob of a
config's split, the stable split of a source image, and the one parser of a levels spec (`parse_levels`). This
module imports nothing of the package but `errors`, so any layer may use it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .errors import UserError

__all__ = [
    "CONFIG_LEVELS",
    "DEFAULT_CONFIG",
    "LAYOUT_KINDS",
    "LEVELS",
    "REPORT_FILE",
    "SPLITS",
    "ShardName",
    "config_of_level",
    "is_layout_file",
    "parse_levels",
    "parse_shard_path",
    "shard_glob",
    "shard_path",
    "split_of",
]

LEVELS = (1, 2, 3)
SPLITS = ("train", "test")
# Hub configs and the levels each one holds; `all` is the flat mixture the paper trains on (the default).
CONFIG_LEVELS: dict[str, tuple[int, ...]] = {"level1": (1,), "level2": (2,), "level3": (3,), "all": LEVELS}
DEFAULT_CONFIG = "all"


def parse_levels(spec: str, name: str) -> tuple[int, ...]:
    """The levels a spec names, for `s2h build --levels`, training's `dataset_config` and `s2h train-check`.

    The one rule: a comma list of `all`, `N` or `levelN` (a config name); `all` -> (1, 2, 3), `level1,level3`
    and `1,3` -> (1, 3). Order is kept (training reads it as the curriculum order; the build sorts it), empty
    parts are ignored, and a level named twice (`1,1`, `all,2`) is refused. `name` is the option the error
    names (`--levels`, `dataset_config`).
    """
    levels: list[int] = []
    for part in (p.strip() for p in str(spec).split(",")):
        if not part:
            continue
        key = part if part in CONFIG_LEVELS else f"level{part}"
        if key not in CONFIG_LEVELS:
            raise UserError(
                f"`{name}`: unknown level `{part}` in `{spec}`; use `all` or a comma list of level1, level2, level3"
            )
        for level in CONFIG_LEVELS[key]:
            if level in levels:
                raise UserError(f"`{name}`: level {level} is named twice in `{spec}`")
            levels.append(level)
    if not levels:
        raise UserError(f"`{name}` names no level; use `all` or a comma list of level1, level2, level3")
    return tuple(levels)


REPORT_FILE = "build_report.json"
CARD_FILE = "README.md"
DATA_DIR = "data"
PLOTS_DIR = "plots"
# the layout's file kinds, as messages name them
LAYOUT_KINDS = "README.md, build_report.json, data/levelL/SPLIT-IIIII-of-NNNNN.parquet, plots/NAME.png"
_PLOT = re.compile(rf"^{PLOTS_DIR}/[A-Za-z0-9][A-Za-z0-9_-]*\.png$")

_SHARD = re.compile(
    r"^data/level(?P<level>\d+)/(?P<split>[a-z]+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.parquet$"
)


@dataclass(frozen=True)
class ShardName:
    """A parsed shard path; `index` is 0-based, `count` the number of shards of its (level, split)."""

    level: int
    split: str
    index: int
    count: int

    @property
    def path(self) -> str:
        return shard_path(self.level, self.split, self.index, self.count)


def config_of_level(level: int) -> str:
    return f"level{level}"


def shard_path(level: int, split: str, index: int, count: int) -> str:
    """`data/level3/train-00000-of-00002.parquet`: the repo-relative path of one shard."""
    return f"{DATA_DIR}/level{level}/{split}-{index:05d}-of-{count:05d}.parquet"


def shard_glob(level: int, split: str) -> str:
    """The repo-relative glob of every shard of (level, split), as the card's `data_files` write it."""
    return f"{DATA_DIR}/level{level}/{split}-*.parquet"


def parse_shard_path(path: str) -> ShardName | None:
    """The shard a repo-relative path names, or None when it is not a well-formed shard path of a known
    level and split (`data/level4/...`, `data/level1/train.parquet`, a stray copy under another name)."""
    match = _SHARD.match(str(path).replace("\\", "/"))
    if not match:
        return None
    name = ShardName(int(match["level"]), match["split"], int(match["index"]), int(match["count"]))
    if name.level not in LEVELS or name.split not in SPLITS or not name.index < name.count:
        return None
    return name


def is_layout_file(path: str) -> bool:
    """Whether a repo-relative path is one of the layout's file kinds: the card, the report, a well-formed
    shard path (in its canonical spelling) or a plot."""
    if path in (CARD_FILE, REPORT_FILE) or _PLOT.match(path):
        return True
    name = parse_shard_path(path)
    return name is not None and name.path == path


def split_of(key: str, test_fraction: float) -> str:
    """Stable split of a source image (or family, or picture): the same in every build and seed.

    A smaller fraction selects a subset of a larger fraction's test keys, so the eval probe can hold out
    images that no default build trains on."""
    digest = int(hashlib.sha1(f"split:{key}".encode()).hexdigest()[:12], 16)
    return "test" if digest / 16**12 < test_fraction else "train"
