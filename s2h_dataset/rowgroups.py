"""Row-group sizes of built shards, as a reader sees them, and the Hub viewer's limit on them.

Parquet metadata reports a row group's size with its images dictionary-encoded: an image repeated in 500 rows
counts once. Every reader (the Hub viewer's `/rows`, `datasets` streaming, `load_dataset`) materialises the
images per row, so a row group of 14 MiB on disk can read back as 297 MiB, above the 286 MiB the viewer
accepts. The read-back size is computed here without materialising it: the images column is read with its
dictionary kept, and each row's image bytes are summed from the dictionary's value lengths.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .configs import VIEWER_ROW_GROUP_MIB

__all__ = [
    "VIEWER_ROW_GROUP_MIB",
    "RowGroupSize",
    "check_row_groups",
    "row_group_sizes",
    "row_group_summary",
]

logger = logging.getLogger(__name__)

MIB = 1 << 20
_IMAGE_BYTES = "images.list.element.bytes"


@dataclass(frozen=True)
class RowGroupSize:
    """One row group: where it is, its rows, its size per parquet metadata and once read into Arrow."""

    shard: str
    index: int
    rows: int
    metadata_bytes: int
    read_bytes: int


def _dictionary_read_bytes(column: pa.ChunkedArray) -> int:
    """Arrow bytes of a dictionary-encoded binary column once decoded: values per row plus their offsets
    and validity, as a plain read would hold them."""
    total = 0
    for chunk in column.chunks:
        lengths = pc.binary_length(chunk.dictionary).to_numpy(zero_copy_only=False).astype(np.int64)
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        total += int(lengths[indices].sum()) + 4 * (len(chunk) + 1) + (len(chunk) + 7) // 8
    return total


def _read_bytes(table: pa.Table) -> int:
    total = 0
    for column in table.columns:
        if pa.types.is_list(column.type) and pa.types.is_dictionary(column.type.value_type.field(0).type):
            # list<struct<bytes: dictionary, path>>: count the decoded bytes, then the rest of the nesting
            for chunk in column.chunks:
                struct = chunk.values
                total += chunk.offsets.nbytes + struct.field(1).nbytes + (len(chunk) + 7) // 8
                total += _dictionary_read_bytes(pa.chunked_array([struct.field(0)]))
        else:
            total += column.nbytes
    return total


def row_group_sizes(path: str | Path, name: str | None = None) -> list[RowGroupSize]:
    """Every row group of a shard with its metadata and read-back sizes; one row group in memory at a time
    (its images dictionary-encoded, so never more than the file holds)."""
    file = pq.ParquetFile(path, read_dictionary=[_IMAGE_BYTES])
    sizes = []
    for i in range(file.metadata.num_row_groups):
        meta = file.metadata.row_group(i)
        sizes.append(
            RowGroupSize(
                shard=name or str(path),
                index=i,
                rows=meta.num_rows,
                metadata_bytes=meta.total_byte_size,
                read_bytes=_read_bytes(file.read_row_group(i)),
            )
        )
    return sizes


def _all_sizes(root: Path) -> list[RowGroupSize]:
    return [
        size
        for shard in sorted(root.glob("data/level*/*.parquet"))
        for size in row_group_sizes(shard, str(shard.relative_to(root)))
    ]


def row_group_summary(root: str | Path) -> str:
    """One sentence for the dataset card: shards, row groups and the largest one as metadata and as read."""
    sizes = _all_sizes(Path(root))
    if not sizes:
        return "No shards."
    largest = max(sizes, key=lambda s: s.read_bytes)
    return (
        f"{len({s.shard for s in sizes})} parquet shards in {len(sizes)} row groups; the largest "
        f"(`{largest.shard}` #{largest.index}, {largest.rows} rows) reads back as "
        f"{largest.read_bytes / MIB:.1f} MiB ({largest.metadata_bytes / MIB:.1f} MiB per parquet metadata; "
        f"the Hub viewer reads up to {VIEWER_ROW_GROUP_MIB} MiB per row group)."
    )


def check_row_groups(root: str | Path, limit_mib: int = VIEWER_ROW_GROUP_MIB) -> list[str]:
    """Problems for every row group of the folder's shards that reads back above `limit_mib`; logs the
    largest row group (metadata and read-back size) so `s2h validate` shows it."""
    root = Path(root)
    problems: list[str] = []
    largest: RowGroupSize | None = None
    for shard in sorted(root.glob("data/level*/*.parquet")):
        if shard.is_symlink() or not shard.is_file():
            continue  # never opened (a FIFO blocks): `integrity.check_files` reports it
        try:
            sizes = row_group_sizes(shard, str(shard.relative_to(root)))
        except (OSError, pa.ArrowException, KeyError) as err:
            problems.append(f"{shard.relative_to(root)}: row groups unreadable ({err})")
            continue
        for size in sizes:
            if largest is None or size.read_bytes > largest.read_bytes:
                largest = size
            if size.read_bytes > limit_mib * MIB:
                problems.append(
                    f"{size.shard}: row group {size.index} ({size.rows} rows) reads back as "
                    f"{size.read_bytes / MIB:.0f} MiB, above the Hub viewer's {limit_mib} MiB; "
                    "rebuild with a smaller --row-group-mib"
                )
    if largest is not None:
        logger.info(
            "largest row group: %s #%d, %d rows, %.1f MiB per parquet metadata, %.1f MiB read back "
            "(viewer limit %d MiB)",
            largest.shard,
            largest.index,
            largest.rows,
            largest.metadata_bytes / MIB,
            largest.read_bytes / MIB,
            limit_mib,
        )
    return problems
