"""Keep a source's files inside its root folder: no absolute paths, no `..`, no symlinks to elsewhere.

Paths named by a source's own files (a LLaVA JSON's `image` field) are checked when the records are
listed (`relative_inside`: a bad one is an error naming the record); every image is checked again when it
is opened (`open_inside`: the real path after following symlinks must lie under the root's real path), so
a link to `/etc/...` is reported as a skipped image instead of being read.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image

__all__ = ["OutsideRoot", "open_inside", "relative_inside"]


class OutsideRoot(ValueError):
    """A source file that resolves outside its root; the image loader reports it as unusable."""


def relative_inside(relative: str) -> bool:
    """Whether `relative` is a plain relative path that cannot climb out of the folder it is joined to."""
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    return bool(relative) and not (
        posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts + windows.parts
    )


def open_inside(root: Path, path: Path) -> Image.Image:
    """Open `path` with Pillow after checking that its real location is under `root`'s."""
    real_root, real = Path(root).resolve(), Path(path).resolve()
    if not real.is_relative_to(real_root):
        raise OutsideRoot(f"{path} leads outside its source folder {root} (a symlink or `..`?)")
    return Image.open(real)
