"""The S2H-DPO dataset's builder definition: configs level1 / level2 / level3 / all over a built folder.

Configs, features and the citation come from the package (`s2h_dataset.configs`, `s2h_dataset.schema`,
`s2h_dataset.card.text.BIBTEX`), the same objects `s2h build` writes into the card, so they are defined in
one place. This file is a local builder, never uploaded: datasets >= 4 refuses Hub repos that hold a
loading script. The Hub copy is plain parquet + README YAML and loads with `datasets` alone.

Usage:
    s2h build --out build/s2h-dpo --n-per-level 2000
    python s2h_dataset.py build/s2h-dpo --config level3    # prepare the Arrow cache and print the splits

    # from Python: load this file with importlib (it cannot be imported as `s2h_dataset`, the package wins)
    builder = S2HDataset(config_name="level3", data_dir="build/s2h-dpo")
    builder.download_and_prepare(); ds = builder.as_dataset()
"""

from __future__ import annotations

import argparse
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from s2h_dataset.card.text import BIBTEX
from s2h_dataset.configs import BUILDER_CONFIGS, S2HConfig
from s2h_dataset.layout import SPLITS, shard_glob
from s2h_dataset.schema import FEATURES


class S2HDataset(datasets.GeneratorBasedBuilder):
    """S2H-DPO multi-image preference pairs, read from a folder made by `s2h build` (`data_dir`)."""

    BUILDER_CONFIG_CLASS = S2HConfig
    BUILDER_CONFIGS = BUILDER_CONFIGS
    DEFAULT_CONFIG_NAME = "all"

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=self.config.description, features=FEATURES, citation=BIBTEX)

    def _split_generators(self, dl_manager):
        if not self.config.data_dir:
            raise ValueError("pass `data_dir=` a folder made by `s2h build`")
        root = Path(self.config.data_dir)
        splits = []
        for split in SPLITS:
            files = [
                str(f) for level in self.config.levels for f in sorted(root.glob(shard_glob(level, split)))
            ]
            if files:
                splits.append(datasets.SplitGenerator(name=split, gen_kwargs={"files": files}))
        return splits

    def _generate_examples(self, files: list[str]):
        for file in files:
            for batch in pq.ParquetFile(file).iter_batches(batch_size=256):
                for row in batch.to_pylist():
                    yield row["id"], row  # row ids are deterministic hashes, unique per config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", help="a folder made by `s2h build`")
    parser.add_argument("--config", default="all", choices=[c.name for c in BUILDER_CONFIGS])
    args = parser.parse_args()
    builder = S2HDataset(config_name=args.config, data_dir=args.data_dir)
    builder.download_and_prepare()
    print(builder.as_dataset())


if __name__ == "__main__":
    main()
