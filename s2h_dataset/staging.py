"""The staging folder of a build (`.<out>.partial/` beside `--out`), its lock, and the final rename.

Rules that keep a user's files safe:
- One writer per `--out`: a lock file in the staging folder (`filelock`'s `flock` on Unix, released by the
  kernel when the process dies, so a `kill -9` never leaves a stale lock; it holds the writer's pid). A second build of the same `--out` stops with
  one line naming the running one.
- `--out` is replaced only when it was there at start, `--overwrite` was given and it is an earlier build
  (it holds a readable `build_report.json` and a `data/` folder); anything else is refused, at start and
  again at the final step, so a folder that appears at `--out` during a build is never touched.
- Outputs never overlap inputs: an `--out` inside, equal to or containing a source folder is refused
  (`check_apart`), so no build reads an earlier build's files as its input or replaces its own input.
- The publish is: mark the staging folder `published`, move an earlier build aside, rename the staged
  repo to `--out`, then delete what was moved aside and the staging folder. A staging folder whose repo is
  gone but which is marked `published` is an orphan of a finished build and is deleted on the next run.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write, remove_temp_files
from .errors import UserError
from .integrity import read_report
from .layout import DATA_DIR, REPORT_FILE
from .sources.hub import parse_hub_spec
from .sources.llava import parse_llava_spec

__all__ = [
    "Staging",
    "check_apart",
    "check_target",
    "filesystem_error",
    "is_build",
    "source_roots",
    "sweep_orphan",
]

logger = logging.getLogger(__name__)

LOCK_FILE = "lock"
PUBLISHED = "published"  # written in work/ right before the final rename


def _write_pid(fd: int) -> int:
    """Write this process's pid in the lock file just locked (for a second build's message); its inode."""
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return os.fstat(fd).st_ino


def is_build(folder: Path) -> bool:
    """Whether `folder` is recognisably a folder written by `s2h build` / `s2h merge`."""
    report = read_report(folder, [])
    return report is not None and "arguments" in report and (folder / DATA_DIR).is_dir()


def _identity(path: Path) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino


def check_target(out: Path, overwrite: bool, sources: Sequence[str] = ()) -> tuple[int, int] | None:
    """Refuse an `--out` that cannot or must not be written (`sources`: the `--source` specs it must stay
    apart from); return the identity of an earlier build that `--overwrite` may replace (None when `out`
    does not exist)."""
    check_apart(out, source_roots(sources))
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise UserError(f"--out {out}: {parent} is a file, not a folder; choose another --out")
            break
    if not (out.exists() or out.is_symlink()):
        return None
    if not overwrite:
        raise UserError(f"--out {out} already exists; choose a new folder or pass --overwrite")
    if out.is_symlink() or not out.is_dir():
        raise UserError(
            f"--out {out} is {'a symlink' if out.is_symlink() else 'a file'}; --overwrite replaces only a "
            "folder made by `s2h build`: choose another --out"
        )
    if not is_build(out):
        raise UserError(
            f"--out {out} is not a folder made by `s2h build` (no {REPORT_FILE} and {DATA_DIR}/); "
            "--overwrite replaces only an earlier build: choose another --out"
        )
    return _identity(out)


def source_roots(specs: Sequence[str]) -> list[tuple[str, Path]]:
    """(spec, path) of every local file or folder the `--source` specs read: imagefolder and kinship
    folders, a llava JSON and its image root, a `hub:` dataset given as a local folder. Specs that do not
    parse are left to the source loaders, which say what is wrong with them."""
    roots = []
    for spec in specs:
        prefix, _, arg = spec.partition(":")
        if not arg:
            continue
        if prefix in ("imagefolder", "kinship"):
            roots.append((spec, Path(arg)))
        elif prefix == "llava" and ".json:" in arg:
            roots += [(spec, path) for path in parse_llava_spec(arg)]
        elif prefix == "hub" and arg.partition("@")[0]:
            local = Path(parse_hub_spec(arg)[0]).expanduser()
            if local.is_dir():
                roots.append((spec, local))
    return roots


def check_apart(out: Path, inputs: list[tuple[str, Path]]) -> None:
    """Refuse an `--out` inside, equal to or containing one of `inputs` ((name, path) pairs): a build there
    would read its own output as input next time, or replace what it reads."""
    out = out.expanduser().resolve()
    for name, path in inputs:
        path = path.expanduser().resolve()
        if out == path:
            where = "is"
        elif out.is_relative_to(path):
            where = "is inside"
        elif path.is_relative_to(out):
            where = "contains"
        else:
            continue
        raise UserError(
            f"--out {out} {where} the input {path} ({name}); outputs never overlap inputs: "
            "choose an --out outside every source folder"
        )


def filesystem_error(err: OSError, staging: Path | None = None) -> UserError:
    """One line for a file-system failure during a build; temporaries under `staging` are removed."""
    if staging is not None and staging.is_dir():
        remove_temp_files(staging)
    where = err.filename or "a file of the build"
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some space and rerun the same command (finished work is kept and resumed)"
    elif err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "choose an --out in a folder you can write"
    elif err.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        hint = "a file is in the way of a folder (or a folder of a file); choose another --out"
    else:
        hint = "check the path and rerun"
    return UserError(f"{err.strerror or type(err).__name__} ({where}); {hint}")


@dataclass
class Staging:
    """The locked staging folder of `out`: `work/` (arguments, encoded images) and `repo/` (the output)."""

    out: Path
    root: Path = field(init=False)
    _lock: Any = field(default=None, init=False, repr=False)  # the held `filelock.FileLock`

    def __post_init__(self):
        self.root = self.out.parent / f".{self.out.name}.partial"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    def lock(self) -> Staging:
        """Create the folder if needed and take its lock; `UserError` when another build holds it."""
        from filelock import FileLock, Timeout

        while True:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / LOCK_FILE
            locked: list[int] = []  # the inode the lock was taken on
            lock = FileLock(
                path, thread_local=False, on_acquired=lambda fd, into=locked: into.append(_write_pid(fd))
            )
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if not path.exists():  # the holder finished and deleted the folder meanwhile: try again
                    continue
                holder = path.read_text(errors="replace").strip() or "?"
                raise UserError(
                    f"another build (pid {holder}) is writing --out {self.out}; wait for it to finish, "
                    "or stop it and rerun this command to resume"
                ) from None
            try:  # the holder may have finished and deleted the folder between our open and lock
                same = locked == [os.stat(path).st_ino]
            except FileNotFoundError:
                same = False
            if same:
                break
            lock.release()
        self._lock = lock
        self._clean_orphan()
        remove_temp_files(self.root)
        return self

    def _clean_orphan(self) -> None:
        if (self.work / PUBLISHED).exists() and not self.repo.exists():
            logger.info("removing %s, left over from a finished build", self.root)
            shutil.rmtree(self.work, ignore_errors=True)

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def remove(self) -> None:
        """Delete the staging folder (the lock goes with it)."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.unlock()

    def has_output(self) -> bool:
        return any((self.repo / DATA_DIR).glob("*/*.parquet"))

    def publish(self, replaces: tuple[int, int] | None) -> Path:
        """Rename the staged repo to `out`; replace only the earlier build `check_target` accepted."""
        out, aside = self.out, None
        if out.exists() or out.is_symlink():
            if replaces is None or _identity(out) != replaces or not is_build(out):
                raise UserError(
                    f"--out {out} appeared or changed while building and was left untouched; the finished "
                    f"build waits in {self.root}: move {out} away and rerun the same command to publish it"
                )
            aside = out.parent / f".{out.name}.replaced-{os.getpid()}"
            os.rename(out, aside)
        self.work.mkdir(parents=True, exist_ok=True)
        atomic_write(self.work / PUBLISHED, str(out).encode())
        try:
            os.rename(self.repo, out)  # refuses a non-empty folder that appeared since the check
        except OSError as err:
            (self.work / PUBLISHED).unlink(missing_ok=True)
            if aside is not None:
                try:
                    os.rename(aside, out)
                except OSError:
                    logger.warning("the earlier build %s was kept as %s", out, aside)
            raise UserError(
                f"--out {out} appeared while publishing and was left untouched ({err.strerror}); the build "
                f"waits in {self.root}: move {out} away and rerun the same command"
            ) from None
        for earlier in out.parent.glob(f".{out.name}.replaced-*"):  # this one, and any a kill left behind
            if is_build(earlier):
                shutil.rmtree(earlier, ignore_errors=True)
        self.remove()
        return out


def sweep_orphan(out: Path) -> None:
    """Delete the staging folder a finished build left behind when it was killed right after its rename."""
    staging = Staging(out)
    if not (staging.work / PUBLISHED).exists():
        return
    try:
        staging.lock()  # cleans work/ when the repo is gone
    except UserError:
        return  # a build is running there: not an orphan
    if not staging.repo.exists():
        staging.remove()
    else:
        staging.unlock()
