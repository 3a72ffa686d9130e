"""Encode each unique source image once per build and keep the bytes on disk for the shard writers.

The store lives in the build's staging folder, so an interrupted build never encodes an image twice. It is
keyed by content, not by name:

- `blobs/`: encoded images, each named by the digest of its decoded pixels and the encoding settings;
- `index.jsonl`: one line per image the store has decoded: source id, the record's signature then
  (`Record.signature()`: file size and mtime, or a source stamp) and its pixel digest. Appended with one
  write per batch; a torn last line (a killed run) is skipped, the image is decoded again;
- `bad.json`: images that could not be decoded, with their reason and signature.

Several processes on a network file system (the ranks of `--executor`, `engine/`) each open the store with
their own `part`: they append to `index.<part>.jsonl` and write `bad.<part>.json` only (appends of several
hosts to one NFS file are not atomic), and read every part's files.

An image whose signature is unchanged since it was indexed is trusted; one whose signature changed (the file
was repainted, replaced, touched) is decoded again, and re-encoded only when its pixels changed. A bad image
whose file changed is tried again. So a resumed build uses exactly the pixels a fresh build would read.
Images that cannot be decoded never reach a row; the report lists them with their reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .atomic import atomic_write
from .content import remember
from .images import BadImage, decode_rgb, encode_rgb, pixel_digest
from .progress import bar
from .sources import Record

__all__ = ["ImageStore"]

logger = logging.getLogger(__name__)

INDEX = "index.jsonl"
BAD = "bad.json"


class ImageStore:
    """Encoded images of one build by content; `ensure` before `path`/`read`/`digest` of a source id.

    root: the folder (created); max_side, image_format: the encoding (`auto`: PNG for drawn images, JPEG
    for the rest); workers: threads that decode and encode; part: this writer's name when several processes
    share the folder (its own index and bad-image files; every part's are read).
    """

    def __init__(self, root: Path, max_side: int, image_format: str, workers: int = 2, part: str = ""):
        self.root = Path(root)
        self.part = part
        self._found_bad: set[str] = set()  # bad images this writer found (a part saves only these)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        self.max_side, self.image_format, self.workers = max_side, image_format, workers
        self.index: dict[str, tuple[str | None, str, str]] = {}  # source id -> (signature, pixels, blob)
        self._load_index()
        self._bad: dict[str, dict] = self._load_bad()  # source id -> {"reason", "signature"}
        self.encoded = 0  # images encoded by this process (not found in the store), for the report
        self.decoded = 0  # images decoded by this process (new, changed or untrusted), for the report

    # --- what the build reads ---------------------------------------------------------------------------

    @property
    def bad(self) -> dict[str, str]:
        """{source id: reason} of the images that could not be decoded."""
        return {sid: entry["reason"] for sid, entry in self._bad.items()}

    def digest(self, source_id: str) -> str:
        """The pixel digest of an ensured image."""
        return self.index[source_id][1]

    def path(self, source_id: str) -> Path:
        """The encoded bytes of an ensured image."""
        return self._blob_path(self.index[source_id][2])

    def read(self, source_id: str) -> bytes:
        return self.path(source_id).read_bytes()

    def stored(self) -> int:
        """Images already in the store (encoded by this or an earlier, interrupted run)."""
        return len(self.index)

    # --- keeping it true to the sources -------------------------------------------------------------------

    def forget_changed(self, records: list[Record]) -> dict[str, int]:
        """Before planning: drop bad-image entries whose file changed or whose record is gone (a fresh build
        would not know them), and count how the sources differ from what the store saw: images `changed`
        (signature differs; decoded again when used), `removed` (no longer in the sources)."""
        current = {r.source_id: r for r in records}
        retry = []
        for sid, entry in self._bad.items():
            signature = current[sid].signature() if sid in current else None
            if signature is None or signature != entry["signature"]:
                retry.append(sid)
        for sid in retry:
            del self._bad[sid]
        if retry:
            self._save_bad()
        changed = sum(
            1 for sid, entry in self.index.items() if sid in current and current[sid].signature() != entry[0]
        )
        removed = sum(1 for sid in self.index if sid not in current)
        return {"changed": changed, "removed": removed, "bad_retried": len(retry)}

    def ensure(self, records: list[Record], desc: str = "encode images") -> dict[str, str]:
        """Make every record's current pixels available; return {source_id: reason} of newly found bad images.
        `desc` labels the progress bar (the build names the shard the images are for)."""
        todo = []
        for record in {r.source_id: r for r in records}.values():
            if record.source_id in self._bad:
                continue
            signature = record.signature()
            known = self.index.get(record.source_id)
            if (
                signature is None
                or known is None
                or known[0] != signature
                or known[2] != self._blob_key(known[1], self._format(record))
                or not self._blob_path(known[2]).exists()
            ):
                todo.append((record, signature))
            else:  # trusted: the model captioner's cache keys need not decode it again (`content_id`)
                remember(record, signature, known[1])
        new_bad: dict[str, str] = {}
        if todo:
            lines = []
            with ThreadPoolExecutor(self.workers) as pool:
                results = pool.map(self._encode, [record for record, _ in todo])
                for (record, signature), result in bar(
                    zip(todo, results), total=len(todo), desc=desc, unit="img"
                ):
                    self.decoded += 1
                    if isinstance(result, BadImage):
                        new_bad[record.source_id] = str(result)
                        self._bad[record.source_id] = {"reason": str(result), "signature": signature}
                        self._found_bad.add(record.source_id)
                        logger.warning("skipping %s: %s", record.source_id, result)
                        continue
                    pixels, blob, encoded = result
                    self.encoded += encoded
                    self.index[record.source_id] = (signature, pixels, blob)
                    remember(record, signature, pixels)
                    entry = {"id": record.source_id, "signature": signature, "pixels": pixels, "blob": blob}
                    lines.append(json.dumps(entry))
            self._append_index(lines)
        if new_bad:
            self._save_bad()
        return new_bad

    # --- internals ----------------------------------------------------------------------------------------

    def _format(self, record: Record) -> str:
        if self.image_format == "auto":
            return "png" if record.synthetic else "jpeg"
        return self.image_format

    def _blob_key(self, pixels: str, fmt: str) -> str:
        """The name of the encoded bytes of these pixels at this build's size and format."""
        return hashlib.sha256(f"{pixels}:{self.max_side}:{fmt}".encode()).hexdigest()

    def _blob_path(self, key: str) -> Path:
        return self.root / "blobs" / key[:2] / key

    def _encode(self, record: Record) -> tuple[str, str, bool] | BadImage:
        """Decode one record and encode it unless its pixels are stored already: (pixels, blob, encoded now),
        or why it cannot be used."""
        try:
            image = decode_rgb(record.load)
        except BadImage as err:
            return err
        pixels = pixel_digest(image)
        blob = self._blob_key(pixels, self._format(record))
        path = self._blob_path(blob)
        if path.exists():
            return pixels, blob, False
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, encode_rgb(image, self.max_side, self._format(record)))
        return pixels, blob, True

    def _append_index(self, lines: list[str]) -> None:
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode()
        fd = os.open(self.root / self._own(INDEX), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def _own(self, name: str) -> str:
        """This writer's file of kind `name` (`index.jsonl`, `bad.json`): `index.<part>.jsonl` for a part."""
        stem, _, ext = name.partition(".")
        return f"{stem}.{self.part}.{ext}" if self.part else name

    def _files(self, name: str) -> list[Path]:
        """Every writer's file of kind `name`, the shared one first."""
        stem, _, ext = name.partition(".")
        return [self.root / name, *sorted(self.root.glob(f"{stem}.*.{ext}"))]

    def _load_index(self) -> None:
        for path in self._files(INDEX):
            if not path.exists():
                continue
            with open(path, "rb") as f:
                for raw in f:
                    try:
                        entry = json.loads(raw)
                        self.index[entry["id"]] = (entry["signature"], entry["pixels"], entry["blob"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn line of a killed run: that image is decoded again

    def _load_bad(self) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for path in self._files(BAD):
            try:
                data = json.loads(path.read_text()) if path.exists() else {}
            except ValueError:
                continue  # torn: the images are tried again
            found.update({sid: e for sid, e in data.items() if isinstance(e, dict) and "reason" in e})
        return found

    def _save_bad(self) -> None:
        own = {k: v for k, v in self._bad.items() if k in self._found_bad} if self.part else self._bad
        atomic_write(self.root / self._own(BAD), json.dumps(own, indent=1, sort_keys=True).encode())
