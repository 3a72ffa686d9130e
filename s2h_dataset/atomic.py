"""Atomic file writes and file hashes, used by every writer of a build (images, shards, card, report).

A file is written to a temporary sibling and renamed over its name, so a reader (or a resumed build)
sees the whole file or none. A write that fails (disk full, killed by an exception) removes its
temporary file, so a failed build leaves no 0-byte or half-written files behind; temporaries left by a
`kill -9` are swept by `remove_temp_files` when the build folder is next opened.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["TEMP_MARK", "atomic_path", "atomic_write", "remove_temp_files", "sha256_file"]

TEMP_MARK = ".tmp"  # temporaries are `.<name>.tmp<pid>-<thread>`: hidden, and never a shard name


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed to `path`, on any failure removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{threading.get_ident()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def remove_temp_files(root: Path) -> int:
    """Delete the temporaries an interrupted writer left under `root`; return how many."""
    removed = 0
    for tmp in Path(root).rglob(f".*{TEMP_MARK}*"):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
