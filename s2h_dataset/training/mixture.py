"""Mixtures of S2H levels for training: flat (the paper's choice) or weighted; in memory or streamed.

Every function takes the per-level datasets (`{level: Dataset}`) and a seed, and returns one dataset whose
row order is a deterministic function of its inputs; the trainer's random sampler shuffles a `Dataset` again.
With `streaming=True` the levels are `IterableDataset`s (nothing is downloaded ahead, memory stays flat on
large configs) and the mixture interleaves them: in proportion to the levels' sizes (flat, every row once) or
to the weights (weighted, until the first level runs out); the trainer then needs `max_steps`.
A curriculum is not a mixture: it is one training per stage (`s2h_dataset.training.curriculum`).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from datasets import Dataset, IterableDataset, concatenate_datasets, interleave_datasets, load_dataset

from ..errors import UserError
from ..redact import error_line

__all__ = [
    "Mixture",
    "build_mixture",
    "flat_mixture",
    "load_levels",
    "streamed_mixture",
    "weighted_mixture",
]

logger = logging.getLogger(__name__)


@dataclass
class Mixture:
    """The training rows, the optional eval rows, and a description for logs and the model card."""

    train: Dataset | IterableDataset
    eval: Dataset | IterableDataset | None
    mode: str
    levels: tuple[int, ...]
    weights: tuple[float, ...] | None = None
    rows_per_level: dict[int, int] = field(default_factory=dict)

    @property
    def rows(self) -> int | None:
        """Training rows, or None for a streamed mixture (its length is unknown until read)."""
        return len(self.train) if isinstance(self.train, Dataset) else None

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
    dataset_name: str,
    levels: tuple[int, ...],
    split: str,
    revision: str | None = None,
    streaming: bool = False,
) -> dict[int, Dataset | IterableDataset]:
    """Load split `split` of config `level{n}` for each level (a Hub id or a folder laid out like one)."""
    if not dataset_name:
        raise UserError(
            "`dataset_name` is required: pass --dataset_name with a Hub id or an `s2h build --out` folder"
        )
    parts = {}
    for level in levels:
        try:
            parts[level] = load_dataset(
                dataset_name, f"level{level}", split=split, revision=revision, streaming=streaming
            )
        except ValueError as err:  # unknown config or split: datasets lists what exists
            raise UserError(
                f"cannot load config `level{level}` split `{split}` of `{dataset_name}`: {error_line(err, None)}"
            ) from None
        except FileNotFoundError as err:
            where = "folder" if os.path.isdir(dataset_name) else "dataset"
            raise UserError(f"cannot load `{dataset_name}` ({where}): {error_line(err, None)}") from None
        if not streaming and len(parts[level]) == 0:
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


def _streamed_size(ds: IterableDataset, split: str) -> int | None:
    """Rows of a streamed split as the dataset's metadata states them, if it does."""
    splits = getattr(ds.info, "splits", None) or {}
    return splits[split].num_examples if split in splits else None


def streamed_mixture(
    parts: dict[int, IterableDataset],
    seed: int,
    weights: tuple[float, ...] | None = None,
    split: str = "train",
) -> IterableDataset:
    """Interleave streamed levels: by `weights` until the first level runs out, else by the levels' sizes
    (equal shares when the metadata has no sizes) with every row read once."""
    if weights is not None:
        probabilities, strategy = np.asarray(weights, float), "first_exhausted"
    else:
        sizes = [_streamed_size(ds, split) for ds in parts.values()]
        probabilities = np.asarray(sizes, float) if all(sizes) else np.ones(len(parts))
        strategy = "all_exhausted_without_replacement"
    keep = [i for i, p in enumerate(probabilities) if p > 0]
    streams = [list(parts.values())[i].shuffle(seed=seed, buffer_size=1000) for i in keep]
    shares = (probabilities[keep] / probabilities[keep].sum()).tolist()
    return interleave_datasets(streams, probabilities=shares, seed=seed, stopping_strategy=strategy)


def build_mixture(args, seed: int, with_eval: bool) -> Mixture:
    """The mixture asked for by `S2HScriptArguments` (`args`), loaded from `args.dataset_name`."""
    streaming = bool(getattr(args, "streaming", False))
    parts = load_levels(args.dataset_name, args.levels, args.dataset_train_split, streaming=streaming)
    eval_rows = None
    if with_eval:
        eval_parts = load_levels(args.dataset_name, args.levels, args.dataset_test_split, streaming=streaming)
        eval_rows = (
            interleave_datasets(list(eval_parts.values()))
            if streaming
            else concatenate_datasets(list(eval_parts.values()))
        )
    if streaming:
        train = streamed_mixture(parts, seed, args.weights, args.dataset_train_split)
        seen = {lv: _streamed_size(ds, args.dataset_train_split) for lv, ds in parts.items()}
        logger.info("%s mixture of levels %s, streamed (level sizes %s)", args.mode, args.levels, seen)
        seen = {lv: n for lv, n in seen.items() if n is not None}
    else:
        train = weighted_mixture(parts, args.weights, seed) if args.weights else flat_mixture(parts, seed)
        sizes = {level: len(ds) for level, ds in parts.items()}
        seen = dict(sorted(Counter(int(v) for v in train["level"]).items()))
        logger.info("%s mixture of %s: %d rows (%s)", args.mode, sizes, len(train), seen)
    return Mixture(
        train=train,
        eval=eval_rows,
        mode=args.mode,
        levels=args.levels,
        weights=args.weights,
        rows_per_level=seen,
    )
