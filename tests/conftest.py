"""Shared fixtures: a small real build on the bundled images, made once and reused while nothing it is made
from changes."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach the Hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # keep test logs readable
# datasets keys its Arrow cache of a local folder by folder name and file sizes, not contents: a rebuilt
# folder of the same name and sizes from an earlier run would load stale rows. One fresh cache per session.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="s2h-tests-datasets-")

PACKAGE = Path(__file__).resolve().parents[1] / "s2h_dataset"
# where finished session builds are kept between runs (S2H_TEST_CACHE moves it): the newest few, and any used
# in the last hour
BUILD_CACHE = Path(os.environ.get("S2H_TEST_CACHE") or Path(tempfile.gettempdir()) / "s2h-tests-cache")
KEEP_BUILDS = 4


def build_fingerprint(arguments: dict) -> str:
    """What a build is made from besides the machine's clock: its arguments, every file of the package (code,
    bundled images and tables), the installed distributions and the WordNet the confusion guard reads."""
    digest = hashlib.sha256(repr(sorted(arguments.items())).encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    digest.update("\n".join(dists).encode())
    from s2h_dataset.lexicon import WORDNET_DIRS

    wordnet = [os.environ.get("WORDNET_DIR", "")] + [d for d in WORDNET_DIRS if os.path.isdir(d)]
    digest.update(repr(wordnet).encode())
    return digest.hexdigest()[:20]


def _mtime(path: Path) -> float:
    """A cache entry's last use; an entry another session removed meanwhile counts as used now (kept)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def _prune() -> None:
    """Remove all but the `KEEP_BUILDS` most recently used entries, none used in the last hour (another
    session may be copying it); entries removed meanwhile by another session are passed over."""
    for old in sorted(BUILD_CACHE.iterdir(), key=_mtime)[:-KEEP_BUILDS]:
        if time.time() - _mtime(old) > 3600:
            shutil.rmtree(old, ignore_errors=True)


def cached_build(arguments: dict, out: Path) -> Path:
    """`build(BuildConfig(out=out, **arguments))`, copied from the cache when one with the same fingerprint is
    there, else built once into it (another session building the same one at the same time: its copy wins)."""
    from s2h_dataset.build import BuildConfig, build

    cached = BUILD_CACHE / build_fingerprint(arguments) / out.name
    if cached.is_dir():
        os.utime(cached.parent)  # recently used: pruned last
    else:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="building-", dir=cached.parent))
        try:
            build(BuildConfig(out=str(staging / out.name), **arguments))
            os.rename(staging / out.name, cached)  # all at once; refused when another session was first
        except OSError:
            if not cached.is_dir():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune()
    shutil.copytree(cached, out)
    return out


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory):
    """Default sources, filter on, 240 rows per level, 15 % test: enough rows for balance checks. Tests may
    change their copy; the build itself is made once per fingerprint (`cached_build`)."""
    arguments = {"n_per_level": 240, "test_fraction": 0.15, "seed": 1, "workers": 2}
    return cached_build(arguments, tmp_path_factory.mktemp("s2h") / "s2h-dpo")
