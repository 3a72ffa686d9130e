"""Write one parquet shard: a single row group whose image bytes are dictionary-encoded.

Rows of a level reuse the same source images many times (849 emoji in 20K rows of 4 images). The images
column is built as an Arrow dictionary array over the shard's unique images, and parquet keeps it
dictionary-encoded, so each image's bytes are stored once per shard and never copied per row in memory.
The file holds no Arrow schema (readers see plain binary) but carries the `huggingface` features metadata,
so `datasets` returns PIL images.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .imagestore import ImageStore
from .schema import FEATURES, RowSpec, assistant_message, user_message

__all__ = ["write_shard"]

_ARROW = FEATURES.arrow_schema
_HF_METADATA = json.dumps({"info": {"features": FEATURES.to_dict()}})


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


def write_shard(path: Path, specs: list[RowSpec], store: ImageStore) -> None:
    """Write `specs` to `path` atomically (temporary file, then rename)."""
    columns = {
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
    table = pa.table(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with pq.ParquetWriter(
        tmp,
        table.schema,
        store_schema=False,
        compression="zstd",
        dictionary_pagesize_limit=1 << 30,  # 1 GiB: never fall back to plain encoding for repeated images
        write_statistics=["id", "level", "task", "target", "similarity"],
    ) as writer:
        writer.write_table(table, row_group_size=max(len(specs), 1))
        writer.add_key_value_metadata({"huggingface": _HF_METADATA})
    os.replace(tmp, path)
