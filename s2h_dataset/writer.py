"""Write one parquet shard as row groups sized by bytes, each dictionary-encoding its own images.

A row group is what readers hold at once: the Hub viewer reads whole row groups (and refuses above 286 MiB),
`load_dataset(..., streaming=True)` holds one, and so does this writer. Parquet metadata cannot tell how big a
row group gets once read: the images are dictionary-encoded (an emoji repeated in 500 rows is stored once),
but a reader materialises them per row. So the writer cuts a shard into row groups whose *read-back* Arrow
size stays under `--row-group-mib` (default 128), estimated from the encoded image sizes, and builds each
group's images column as an Arrow dictionary over that group's unique images only. Memory is one row group.

Shards are cut by bytes too (`--shard-mib`): the rows of a shard are capped so that the shard, counted as if no
image repeated, stays under the budget; on a photo source (few repeats) that is what one file weighs.

The file holds no Arrow schema (readers see plain binary) but carries the `huggingface` features metadata,
so `datasets` returns PIL images.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .atomic import atomic_path
from .imagestore import ImageStore
from .schema import FEATURES, RowSpec, assistant_message, user_message
from .sources import Record

__all__ = [
    "cut_row_groups",
    "drop_tasks",
    "estimate_row_bytes",
    "rows_per_shard",
    "write_shard",
]

logger = logging.getLogger(__name__)

MIB = 1 << 20
SIZE_SAMPLE = 128  # source images encoded up front to estimate the bytes of a row

# Arrow bytes a row carries besides its image and text bytes: offsets, validity bits, the fixed-width
# columns and the message structs (measured about 170 bytes for 4 images; rounded up, never under).
_ROW_OVERHEAD = 256
_IMAGE_OVERHEAD = 24

_ARROW = FEATURES.arrow_schema
_HF_METADATA = json.dumps({"info": {"features": FEATURES.to_dict()}})


def _text_bytes(spec: RowSpec) -> int:
    texts = (spec.id, spec.task, spec.prompt, spec.chosen, spec.rejected, json.dumps(spec.meta))
    return sum(len(str(t).encode("utf-8")) for t in texts)


def estimate_row_bytes(spec: RowSpec, image_bytes: dict[str, int]) -> int:
    """Upper estimate of the Arrow bytes one row takes when read back (images materialised per row)."""
    images = sum(image_bytes[sid] + _IMAGE_OVERHEAD for sid in spec.source_ids)
    return images + _text_bytes(spec) + _ROW_OVERHEAD


def cut_row_groups(specs: list[RowSpec], image_bytes: dict[str, int], limit: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive row groups whose estimated read-back size stays at most `limit` bytes;
    a single row larger than the limit gets a group of its own."""
    groups, start, total = [], 0, 0
    for i, spec in enumerate(specs):
        size = estimate_row_bytes(spec, image_bytes)
        if i > start and total + size > limit:
            groups.append((start, i))
            start, total = i, 0
        total += size
    if specs:
        groups.append((start, len(specs)))
    return groups


def _images_column(specs: list[RowSpec], store: ImageStore) -> pa.Array:
    unique: dict[str, int] = {}
    indices = [unique.setdefault(sid, len(unique)) for spec in specs for sid in spec.source_ids]
    dictionary = pa.array([store.read(sid) for sid in unique], type=pa.binary())
    values = pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), dictionary)
    element = pa.StructArray.from_arrays(
        [values, pa.nulls(len(indices), pa.string())], names=["bytes", "path"]
    )
    offsets = np.cumsum([0] + [len(spec.source_ids) for spec in specs], dtype=np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), element)


def _column(name: str, values: list) -> pa.Array:
    return pa.array(values, type=_ARROW.field(name).type)


def _table(specs: list[RowSpec], store: ImageStore) -> pa.Table:
    return pa.table(
        {
            "id": _column("id", [s.id for s in specs]),
            "level": _column("level", [s.level for s in specs]),
            "task": _column("task", [s.task for s in specs]),
            "images": _images_column(specs, store),
            "prompt": _column("prompt", [user_message(len(s.source_ids), s.prompt) for s in specs]),
            "chosen": _column("chosen", [assistant_message(s.chosen) for s in specs]),
            "rejected": _column("rejected", [assistant_message(s.rejected) for s in specs]),
            "target": _column("target", [s.target for s in specs]),
            "similarity": _column("similarity", [s.similarity for s in specs]),
            "meta": _column("meta", [json.dumps(s.meta, ensure_ascii=False, sort_keys=True) for s in specs]),
        }
    )


def write_shard(path: Path, specs: list[RowSpec], store: ImageStore, row_group_mib: int) -> int:
    """Write `specs` to `path` atomically (temporary file, then rename); return the number of row groups."""
    unique = {sid for spec in specs for sid in spec.source_ids}  # an image recurs across rows: stat it once
    image_bytes = {sid: store.path(sid).stat().st_size for sid in unique}
    groups = cut_row_groups(specs, image_bytes, row_group_mib * MIB) or [(0, 0)]
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    with atomic_path(path) as tmp:  # a failed write removes its temporary file
        try:
            for start, stop in groups:
                table = _table(specs[start:stop], store)
                if writer is None:
                    writer = _open_writer(tmp, table.schema)
                writer.write_table(table, row_group_size=max(len(table), 1))
                del table  # one row group's images in memory at a time
            writer.add_key_value_metadata({"huggingface": _HF_METADATA})
        finally:
            if writer is not None:
                writer.close()
    return len(groups)


def _open_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        store_schema=False,
        compression="zstd",
        # never fall back to plain encoding: a group's repeated images are stored once
        dictionary_pagesize_limit=1 << 30,
        write_statistics=["id", "level", "task", "target", "similarity"],
    )


def drop_tasks(path: Path, tasks: set[str]) -> dict[str, int]:
    """Rewrite the shard at `path` without the rows of `tasks`, row group by row group (each kept group
    only shrinks, so it stays under its read-back budget), atomically; return the rows dropped per task
    (the file is left as it is when it holds none).
    The result depends only on the shard's bytes, so a merged build and a single-machine one agree."""
    source = pq.ParquetFile(path)
    held = pq.read_table(path, columns=["task"])["task"].to_pylist()
    dropped = {task: held.count(task) for task in sorted(tasks) if task in held}
    if not dropped:
        return {}
    with atomic_path(path) as tmp:
        writer = _open_writer(tmp, source.schema_arrow)
        try:
            for i in range(source.num_row_groups):
                group = source.read_row_group(i)
                kept = group.filter(pc.invert(pc.is_in(group["task"], value_set=pa.array(sorted(tasks)))))
                if len(kept):
                    writer.write_table(kept, row_group_size=len(kept))
            writer.add_key_value_metadata({"huggingface": _HF_METADATA})
        finally:
            writer.close()
    return dropped


def _sample(records: list[Record], n: int) -> list[Record]:
    """A fixed pseudo-random subset (by hash of source id): the same on every machine and every rerun."""
    key = lambda r: hashlib.sha1(r.source_id.encode("utf-8")).digest()  # noqa: E731
    return sorted(records, key=key)[:n]


def rows_per_shard(
    records: list[Record],
    store: ImageStore,
    n_images: int,
    *,
    shard_rows: int,
    shard_mib: int,
    most_rows: int,
) -> int:
    """`shard_rows`, lowered so a shard whose images never repeat stays within `shard_mib` on disk.

    `most_rows` is the largest (level, split) of the build. The bytes of an image are estimated from a fixed
    sample of the sources, encoded now into the store (the build needs them anyway; images found unreadable
    here are recorded as bad like anywhere else). Skipped when even raw RGB pixels could not reach the
    budget, so small builds encode nothing extra."""
    raw = 3 * store.max_side**2 * 1.1  # a compressed image beyond its raw pixels: PNG of noise, + headers
    if min(shard_rows, most_rows) * n_images * raw <= shard_mib * MIB:
        return shard_rows
    sample = [r for r in _sample(records, SIZE_SAMPLE) if r.source_id not in store.bad]
    store.ensure(sample)
    sizes = [store.path(r.source_id).stat().st_size for r in sample if r.source_id not in store.bad]
    if not sizes:
        return shard_rows
    row_bytes = n_images * (sum(sizes) / len(sizes)) + 2048  # + the texts of a row, generously
    rows = max(1, min(shard_rows, int(shard_mib * MIB // row_bytes)))
    if rows < shard_rows:
        logger.info(
            "shards of %d rows (not %d): about %.0f KiB per row without repeats, --shard-mib %d",
            rows,
            shard_rows,
            row_bytes / 1024,
            shard_mib,
        )
    return rows
