"""What a build's shards are made from, as content keys: a shard on disk is reused only when the key it was
written with equals the key recomputed from the current sources (`ShardKeys`), as `datasets` fingerprints its
cache. The pieces: what the sources say besides pixels (`sources_digest`), the signatures of every file of a
split (`pool_files`), the package that made them (`code_version`), and the pixel digests of the images a shard
shows or quotes (from the image store)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from .atomic import atomic_write
from .sources import Record, Sources

__all__ = [
    "ShardKeys",
    "code_version",
    "content_fingerprint",
    "drop_stale_shards",
    "pool_files",
    "sources_digest",
]


def pool_files(pool: Sources) -> str:
    """A digest of the signatures (size + mtime, or a source stamp) of every image of a split's pool. A
    plan reads facts of images its rows do not show (colour tables of `compare_colour`, the edit weights
    fitted on a sample of the split), so a file of the split that changed on disk rewrites the split's
    shards; what they show is keyed by pixels as well (`ShardKeys`)."""
    signatures = sorted((r.source_id, r.signature() or "") for r in pool.all_records())
    return hashlib.sha256(json.dumps(signatures).encode()).hexdigest()


def sources_digest(sources: Sources) -> str:
    """A digest of everything the sources say besides pixels (ids, labels, captions, answers, counts,
    relations): the plan of every shard is a function of it, the build's arguments and the bad images."""
    compared = [f.name for f in dataclasses.fields(Record) if f.compare]
    payload = [[getattr(r, name) for name in compared] for r in sources.all_records()]
    payload.append(sorted([*pair, rel] for pair, rel in sources.relations.items()))
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()


def content_fingerprint(sources_digest: str, images: dict[str, str]) -> str:
    """What a build's rows were made from, by content: the sources' digest and the pixel digest of every
    image the shards use ({source id: digest}); `s2h merge` refuses parts whose fingerprints differ."""
    return hashlib.sha256(json.dumps([sources_digest, sorted(images.items())]).encode()).hexdigest()


class ShardKeys:
    """What each written shard was made from (`work/shard_keys.json`): a shard on disk is reused only when
    its key, recomputed from the current sources, equals the one it was written with.

    A key covers the build's arguments, what the sources say (`sources_digest`), the images left out as
    unreadable (they change every plan), the pixel digest of every image the shard shows or quotes, and the
    signatures of every file of its split (`pool_files`: planning reads facts of images a row does not
    show), so a repainted image rewrites the shards of its split, and a label, caption or file list that
    changed rewrites them all. The key is recorded after its shard is in place: a kill in between rewrites it."""

    def __init__(self, work: Path, run: dict, sources: str):
        self.file = work / "shard_keys.json"
        try:
            self.keys: dict[str, str] = json.loads(self.file.read_text()) if self.file.exists() else {}
        except ValueError:
            self.keys = {}
        self.base = [run, sources, code_version()]

    def key(self, shard_path: str, bad: frozenset[str], images: dict[str, str], pool: str) -> str:
        payload = [*self.base, sorted(bad), shard_path, sorted(images.items()), pool]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def matches(self, shard_path: str, key: str) -> bool:
        return self.keys.get(shard_path) == key

    def record(self, shard_path: str, key: str | None) -> None:
        """Note the key a shard was written with (None: the shard is being rewritten, trust no key)."""
        if key is None:
            if self.keys.pop(shard_path, None) is None:
                return
        else:
            self.keys[shard_path] = key
        atomic_write(self.file, json.dumps(self.keys, indent=0, sort_keys=True).encode())

    @staticmethod
    def forget(work: Path, shard_paths: list[str]) -> None:
        """Drop the keys of shards rewritten after the plan (tasks held back): a resume writes them again."""
        file = work / "shard_keys.json"
        if shard_paths and file.exists():
            keys = {k: v for k, v in json.loads(file.read_text()).items() if k not in shard_paths}
            atomic_write(file, json.dumps(keys, indent=0, sort_keys=True).encode())


def code_version() -> list[str]:
    """What of the package a shard is made by besides the arguments: its version and the bundled tables the
    generators read (labels and their forms, the confusion guard), so an upgrade between two runs of an
    unfinished build rewrites its shards instead of mixing two generators' rows."""
    from . import __version__
    from .schema import GENERATOR_VERSION
    from .sources.emoji import EMOJI_DIR

    tables = hashlib.sha256()
    for name in ("labels.jsonl", "confusable.json"):
        path = EMOJI_DIR / name
        tables.update(path.read_bytes() if path.exists() else b"")
    return [__version__, GENERATOR_VERSION, tables.hexdigest()]


def drop_stale_shards(repo: Path, keep: list[str]) -> None:
    """Remove shard files an earlier run wrote that this plan does not make (another shard count)."""
    for path in (repo / "data").glob("*/*.parquet"):
        if path.relative_to(repo).as_posix() not in keep:
            path.unlink()
