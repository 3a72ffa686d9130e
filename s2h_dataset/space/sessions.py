"""Which uploads each browser session holds, so a visitor's files are deleted when their session ends.

Retention: an upload stays on the server while it is in its visitor's upload box (across questions, and
after another file was refused), and is deleted when it leaves the box (removed, or replaced by an
example) or when the session ends (tab closed or reloaded: Gradio's heartbeat drops and `demo.unload`
runs). Gradio names uploads by their content, so two visitors who send the same bytes share one file: it
is deleted when the last of them lets it go. The bundled example images are never deleted (their digests
are kept). Behind that, Gradio's cache sweep (`SWEEP`, the Blocks' `delete_cache`) deletes any upload not
used for `SWEEP[1]` seconds: files of API callers (no browser session) and of sessions whose end the
server never saw. Each question renews the files it reads (`renew`), so an active visitor keeps theirs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

import gradio as gr

from .limits import discard_uploads

__all__ = ["SWEEP", "SessionUploads", "renew"]

logger = logging.getLogger(__name__)

#: Gradio's `delete_cache`: every 5 minutes, delete cached files not touched for 30 minutes
SWEEP = (300, 1800)


def renew(paths: list[str], cache_dir: str | os.PathLike) -> None:
    """Touch uploads under `cache_dir` so the sweep (which ages files by ctime) counts from now."""
    root = Path(cache_dir).resolve()
    for raw in paths:
        path = Path(raw).resolve()
        if root in path.parents:
            with contextlib.suppress(OSError):
                os.utime(path)


class SessionUploads:
    """`hold(files, request)` is the upload box's change handler, `release(request)` the app's unload.

    Args:
        cache_dir: Gradio's upload folder; only files under it are ever deleted.
        keep_digests: SHA-256 of files never to delete (the bundled examples' copies).
    """

    def __init__(self, cache_dir: str | os.PathLike, keep_digests: frozenset[str] = frozenset()):
        self.cache_dir, self.keep_digests = cache_dir, keep_digests
        self._held: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def sessions(self) -> int:
        return len(self._held)

    def held(self, session: str) -> set[str]:
        return set(self._held.get(session, ()))

    def _let_go(self, paths: set[str]) -> int:
        """Delete `paths` that no session holds any more (call with the lock held)."""
        still = set().union(*self._held.values()) if self._held else set()
        return discard_uploads(sorted(paths - still), self.cache_dir, self.keep_digests)

    def set_held(self, session: str, paths: list[str]) -> int:
        """`session`'s box now holds exactly `paths`; files that left it are deleted. Returns how many."""
        with self._lock:
            before = self._held.get(session, set())
            now = {os.path.abspath(p) for p in paths}
            renew(sorted(now - before), self.cache_dir)
            if now:
                self._held[session] = now
            else:
                self._held.pop(session, None)
            return self._let_go(before - now)

    def end(self, session: str) -> int:
        """`session` ended: delete the files it held that no other session holds. Returns how many."""
        with self._lock:
            return self._let_go(self._held.pop(session, set()))

    # Gradio event handlers (the request says whose session it is)

    def hold(self, files: list[str] | None, request: gr.Request) -> None:
        if request is not None and request.session_hash:
            self.set_held(request.session_hash, [str(f) for f in files or []])

    def release(self, request: gr.Request) -> None:
        if request is not None and request.session_hash:
            deleted = self.end(request.session_hash)
            logger.info("session ended: %d upload(s) deleted", deleted)
