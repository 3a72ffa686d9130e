"""Subcommands of the `s2h` console script (see `s2h_dataset.cli`), and the checks they share."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError


def require_folder(path: str, flag: str = "") -> Path:
    """`path` as a Path; one `UserError` line when it is not an existing folder."""
    folder = Path(path).expanduser()
    where = f"{flag} {path}" if flag else str(path)
    if not folder.exists():
        raise UserError(f"{where}: folder does not exist; pass the folder `s2h build --out` wrote")
    if not folder.is_dir():
        raise UserError(f"{where}: is a file, not a folder; pass the folder `s2h build --out` wrote")
    return folder


def is_local(path: str | None) -> bool:
    """True for an existing path, or one written like a path (`/x`, `./x`, `~/x`, `x/y/z`), not a Hub id."""
    if not path:
        return False
    return Path(path).expanduser().exists() or path.startswith(("/", ".", "~")) or path.count("/") > 1
