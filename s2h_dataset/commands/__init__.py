"""Subcommands of the `s2h` console script (see `s2h_dataset.cli`), and the checks they share."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..hubnet import is_local

__all__ = ["is_local", "require_folder"]


def require_folder(path: str, flag: str = "") -> Path:
    """`path` as a Path; one `UserError` line when it is not an existing folder."""
    folder = Path(path).expanduser()
    where = f"{flag} {path}" if flag else str(path)
    if not folder.exists():
        raise UserError(f"{where}: folder does not exist; pass the folder `s2h build --out` wrote")
    if not folder.is_dir():
        raise UserError(f"{where}: is a file, not a folder; pass the folder `s2h build --out` wrote")
    return folder
