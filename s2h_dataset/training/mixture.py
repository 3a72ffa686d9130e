"""Mixtures of S2H levels for training: flat (the paper's choice), weighted, or a curriculum in sequence.

Every function takes the per-level datasets (`{level: Dataset}`) and a seed, and returns one `Dataset` whose
row order is a deterministic function of its inputs. A flat or weighted mixture is shuffled again by the
trainer's random sampler; a curriculum must be read in order, so `Mixture.sequential` tells the script to
switch the trainer to `train_sampling_strategy="sequential"` and one pass over the already repeated stages.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from datasets import Dataset, concatenate_datasets, load_dataset

from ..errors import UserError

__all__ = [
    "Mixture",
    "build_mixture",
    "curriculum_mixture",
    "flat_mixture",
    "load_levels",
    "weighted_mixture",
]

logger = logging.getLogger(__name__)


@dataclass
class Mixture:
    """The training rows, the optional eval rows, and a description for logs and the model card."""

    train: Dataset
    eval: Dataset | None
    mode: str
    levels: tuple[int, ...]
    sequential: bool = False
    weights: tuple[float, ...] | None = None
    rows_per_level: dict[int, int] = field(default_factory=dict)

    def describe(self) -> dict:
        out = {
            "mode": self.mode,
            "levels": [f"level{n}" for n in self.levels],
            "rows_per_level": {f"level{k}": v for k, v in sorted(self.rows_per_level.items())},
        }
        if self.weights:
            out["weights"] = dict(zip(out["levels"], self.weights, strict=True))
        return out


def _permutation(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(n)


def load_levels(
    dataset_name: str, levels: tuple[int, ...], split: str, revision: str | None = None
) -> dict[int, Dataset]:
    """Load split `split` of config `level{n}` for each level (a Hub id or a folder laid out like one)."""
    if not dataset_name:
        raise UserError(
            "`dataset_name` is required: pass --dataset_name with a Hub id or an `s2h build --out` folder"
        )
    parts = {}
    for level in levels:
        try:
            parts[level] = load_dataset(dataset_name, f"level{level}", split=split, revision=revision)
        except ValueError as err:  # unknown config or split: datasets lists what exists
            raise UserError(
                f"cannot load config `level{level}` split `{split}` of `{dataset_name}`: {err}".splitlines()[
                    0
                ]
            ) from None
        except FileNotFoundError as err:
            where = "folder" if os.path.isdir(dataset_name) else "dataset"
            raise UserError(f"cannot load `{dataset_name}` ({where}): {err}".splitlines()[0]) from None
        if len(parts[level]) == 0:
            raise UserError(f"config `level{level}` split `{split}` of `{dataset_name}` has no rows")
    return parts


def flat_mixture(parts: dict[int, Dataset], seed: int) -> Dataset:
    """All rows of every level, shuffled together (paper section 2.3: one flat mixture of the three levels)."""
    joined = concatenate_datasets([parts[level] for level in parts])
    return joined.select(_permutation(len(joined), np.random.default_rng(seed)))


def weighted_mixture(parts: dict[int, Dataset], weights: tuple[float, ...], seed: int) -> Dataset:
    """As many rows as the flat mixture, level `i` contributing `round(total * w_i / sum(w))` of them.

    A level asked for more rows than it has is repeated, each pass in a new order; rows are drawn without
    replacement within a pass, so a level's share never repeats a row before using all of them.
    """
    rng = np.random.default_rng(seed)
    total = sum(len(ds) for ds in parts.values())
    shares = np.asarray(weights, dtype=float) / sum(weights)
    counts = np.floor(shares * total).astype(int)
    largest_remainders = np.argsort(-(shares * total - counts), kind="stable")[: total - counts.sum()]
    counts[largest_remainders] += 1
    picked = []
    for (level, ds), n in zip(parts.items(), counts, strict=True):
        passes = -(-int(n) // len(ds))  # ceil: enough passes over the level for its share
        idx = np.concatenate([_permutation(len(ds), rng) for _ in range(max(passes, 1))])[:n]
        picked.append(ds.select(idx))
        logger.info(
            "level%d: %d of %d rows (weight %.3g)", level, n, len(ds), shares[list(parts).index(level)]
        )
    joined = concatenate_datasets([ds for ds in picked if len(ds)])
    return joined.select(_permutation(len(joined), rng))


def curriculum_mixture(parts: dict[int, Dataset], epochs: int, seed: int) -> Dataset:
    """Stages in the order of `parts`: each level repeated `epochs` times (a new order per epoch), then the next."""
    rng = np.random.default_rng(seed)
    stages = [ds.select(_permutation(len(ds), rng)) for ds in parts.values() for _ in range(epochs)]
    return concatenate_datasets(stages)


def build_mixture(args, seed: int, epochs: float, with_eval: bool) -> Mixture:
    """The mixture asked for by `S2HScriptArguments` (`args`), loaded from `args.dataset_name`."""
    parts = load_levels(args.dataset_name, args.levels, args.dataset_train_split)
    sizes = {level: len(ds) for level, ds in parts.items()}
    if args.mode == "curriculum":
        if epochs != int(epochs) or epochs < 1:
            raise UserError(
                f"a curriculum repeats each level a whole number of times: `num_train_epochs` is {epochs}"
            )
        train = curriculum_mixture(parts, int(epochs), seed)
    elif args.mode == "weighted":
        train = weighted_mixture(parts, args.weights, seed)
    else:
        train = flat_mixture(parts, seed)
    eval_rows = None
    if with_eval:
        eval_parts = load_levels(args.dataset_name, args.levels, args.dataset_test_split)
        eval_rows = concatenate_datasets(list(eval_parts.values()))
    seen = Counter(int(v) for v in train["level"])
    logger.info("%s mixture of %s: %d rows (%s)", args.mode, sizes, len(train), dict(sorted(seen.items())))
    return Mixture(
        train=train,
        eval=eval_rows,
        mode=args.mode,
        levels=args.levels,
        sequential=args.mode == "curriculum",
        weights=args.weights,
        rows_per_level=dict(sorted(seen.items())),
    )
