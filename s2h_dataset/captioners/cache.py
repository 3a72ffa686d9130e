"""On-disk caption cache: a rerun or a crashed build never asks a model for the same text twice.

One append-only JSONL file per model under the cache folder. Each answer is one line, written with a single
`os.write` on an `O_APPEND` descriptor and fsync'd before `put` returns, so a crash loses at most the line
being written. Reading skips lines that do not parse (a torn last line, a half-written record) with one
warning; opening for writing first ends a torn last line, so the next record starts on a line of its own.
Several processes may append to the same file (sharded builds on one machine): each record is one write.
Processes on several hosts sharing the folder over NFS, where appends are not atomic (the ranks of
`--executor`), each write a file of their own (`part`: `<model file>.<part>.jsonl`); every part is read.

A record is keyed by (kind, images, prompt, model, settings): the images by the digest of their decoded
pixels (`content.content_id`), never by path or name, so a repainted image or another folder that happens to
share a name is asked again; the exact prompt text sent and the generation settings that change a reply
(the length limit), so changing either asks again instead of reusing answers to another question.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from pathlib import Path

__all__ = ["CaptionCache", "cache_key"]

logger = logging.getLogger(__name__)

DEFAULT_DIR = "~/.cache/s2h/captions"


def cache_key(kind: str, images: tuple[str, ...], prompt: str, model: str, settings: str = "") -> str:
    """A stable digest of what determines a model's text: `images` are the pixel digests of the request's
    images, in order; `settings` the generation settings (e.g. the length limit)."""
    payload = json.dumps(
        [kind, list(images), prompt, model, settings], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _file_name(model: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model.rstrip("/").rsplit("/", 1)[-1])[:60] or "model"
    return f"{slug}-{hashlib.sha256(model.encode('utf-8')).hexdigest()[:12]}.jsonl"


class CaptionCache:
    """The texts one model gave, by `cache_key`; `get` reads memory, `put` appends durably.

    folder: the cache folder (created on first use); one file per model in it.
    model: the model's identity (the spec's model id), part of every key.
    settings: generation settings that change replies (`max_new_tokens=256`), part of every key.
    fsync: flush each record to disk before `put` returns (default); off only for throwaway caches.
    part: this writer's name when processes on several hosts share the folder; its records go to a file
        of its own and every writer's file is read.
    """

    def __init__(
        self, folder: str | os.PathLike, model: str, settings: str = "", fsync: bool = True, part: str = ""
    ):
        self.model, self.settings, self.fsync = model, settings, fsync
        shared = Path(folder).expanduser() / _file_name(model)
        self.path = shared.with_suffix(f".{part}.jsonl") if part else shared
        self._read = [shared, *sorted(shared.parent.glob(f"{shared.stem}.*.jsonl"))]
        self.entries: dict[str, str] = {}
        self.skipped = 0  # unreadable lines ignored while loading
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._load()
        self.earlier = frozenset(self.entries)  # the keys earlier runs left: a hit on one is a cache hit

    def key(self, kind: str, images: tuple[str, ...], prompt: str) -> str:
        return cache_key(kind, images, prompt, self.model, self.settings)

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def put(
        self, key: str, text: str, kind: str = "", source_ids: tuple[str, ...] = (), prompt: str = ""
    ) -> None:
        """Record `text` for `key`; the request's fields are stored alongside for people reading the file."""
        record = {
            "key": key,
            "text": text,
            "kind": kind,
            "ids": list(source_ids),
            "prompt": prompt,
            "model": self.model,
            "settings": self.settings,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            fd = self._open()
            view = memoryview(line)
            while view:  # one write for regular files; loop only if the kernel writes part of it
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
            self.entries[key] = text

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            size = os.fstat(self._fd).st_size
            if size:  # end a torn last line so the next record is a line of its own
                with open(self.path, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        os.write(self._fd, b"\n")
        return self._fd

    def _load(self) -> None:
        for path in self._read:
            if path.exists():
                self._load_file(path)
        if self.skipped:
            logger.warning(
                "caption cache %s: ignored %d unreadable line(s) (an interrupted write)",
                self.path,
                self.skipped,
            )
        logger.info("caption cache %s: %d cached texts", self.path, len(self.entries))

    def _load_file(self, path: Path) -> None:
        with open(path, "rb") as f:
            for raw in f:
                try:
                    record = json.loads(raw)
                    key, text = record["key"], record["text"]
                except (ValueError, KeyError, TypeError):
                    self.skipped += raw.strip() != b""
                    continue
                if isinstance(key, str) and isinstance(text, str):
                    self.entries[key] = text
                else:
                    self.skipped += 1
