"""Encode each unique source image once per build and keep the bytes on disk for the shard writers.

The store lives in the build's staging folder, so an interrupted build never encodes an image twice.
Images that cannot be decoded are recorded with their reason in `bad.json` and never reach a row.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .atomic import atomic_write
from .images import BadImage, encode_image
from .progress import bar
from .sources import Record

__all__ = ["ImageStore"]

logger = logging.getLogger(__name__)


class ImageStore:
    def __init__(self, root: Path, max_side: int, image_format: str, workers: int = 2):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_side, self.image_format, self.workers = max_side, image_format, workers
        bad_file = self.root / "bad.json"
        self.bad: dict[str, str] = json.loads(bad_file.read_text()) if bad_file.exists() else {}
        self.encoded = 0  # images encoded by this process (not found in the store), for the report

    def path(self, source_id: str) -> Path:
        digest = hashlib.sha1(source_id.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / digest

    def _format(self, record: Record) -> str:
        if self.image_format == "auto":
            return "png" if record.synthetic else "jpeg"
        return self.image_format

    def _encode(self, record: Record) -> str | None:
        """Encode one record into the store; return the reason when it is unusable."""
        try:
            data = encode_image(record.load, self.max_side, self._format(record))
        except BadImage as err:
            return str(err)
        path = self.path(record.source_id)
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, data)
        return None

    def ensure(self, records: list[Record], desc: str = "encode images") -> dict[str, str]:
        """Encode the records not yet stored; return {source_id: reason} of newly found bad images.
        `desc` labels the progress bar (the build names the shard the images are for)."""
        missing = [r for r in records if r.source_id not in self.bad and not self.path(r.source_id).exists()]
        new_bad: dict[str, str] = {}
        if missing:
            with ThreadPoolExecutor(self.workers) as pool:
                results = pool.map(self._encode, missing)
                for record, reason in bar(zip(missing, results), total=len(missing), desc=desc, unit="img"):
                    if reason is not None:
                        new_bad[record.source_id] = reason
                        logger.warning("skipping %s: %s", record.source_id, reason)
            self.encoded += len(missing) - len(new_bad)
        if new_bad:
            self.bad.update(new_bad)
            atomic_write(self.root / "bad.json", json.dumps(self.bad, indent=1, sort_keys=True).encode())
        return new_bad

    def stored(self) -> int:
        """Images already in the store (encoded by this or an earlier, interrupted run)."""
        return sum(1 for _ in self.root.glob("??/*"))

    def read(self, source_id: str) -> bytes:
        return self.path(source_id).read_bytes()
