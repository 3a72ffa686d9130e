"""What keying a build by its sources' content costs, and what a resume after a one-image change costs.

A build stats every image it uses (size + mtime: `Record.signature`), hashes the decoded pixels of every
image it encodes (`images.pixel_digest`), digests what the sources say (`shardkeys.sources_digest`), compares
the store with the sources (`ImageStore.forget_changed`), keeps its index and computes one key per shard
(`shardkeys.ShardKeys`). This script times exactly those calls inside real builds (each wrapped in a timer) and
reports their share of the build's wall time, for:

1. the default sources at paper size (`--n-per-level 20000`, the README's first command);
2. a generated photo folder of `--labels` x `--per-label` images (default 5,000 x 2 = 10,000; photo-like
   384 px JPEGs from bench_photo.py), at `--photo-rows` rows per level.

Then the photo build is run again unfinished (stopped before its card), one image of the folder is
repainted, and the rerun is timed against the fresh build: it decodes one image and rewrites the shards
that use it.

Usage (heavy; run it alone):
    python bench/bench_fingerprint.py                    # both builds + the one-image resume
    python bench/bench_fingerprint.py --skip-default     # the photo folder only
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from unittest import mock

from bench_photo import make_folder
from PIL import Image, ImageOps

from s2h_dataset import build as build_module
from s2h_dataset import imagestore, shardkeys
from s2h_dataset.build import BuildConfig, build
from s2h_dataset.sources.base import Record

SECONDS: dict[str, float] = defaultdict(float)


def _timed(name: str, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SECONDS[name] += time.perf_counter() - start

    return wrapper


@contextmanager
def fingerprint_timers():
    """Every call that exists only to key the build by content, timed."""
    targets = [
        (Record, "signature", "stat signatures"),
        (imagestore, "pixel_digest", "pixel digests"),
        (build_module, "sources_digest", "sources digest"),  # the name build.py calls
        (imagestore.ImageStore, "forget_changed", "store vs sources"),
        (imagestore.ImageStore, "_append_index", "store index"),
        (imagestore.ImageStore, "_load_index", "store index"),
        (shardkeys.ShardKeys, "key", "shard keys"),
        (shardkeys.ShardKeys, "record", "shard keys"),
    ]
    with ExitStack() as stack:
        for owner, attribute, name in targets:
            stack.enter_context(mock.patch.object(owner, attribute, _timed(name, getattr(owner, attribute))))
        yield


def timed_build(config: BuildConfig) -> tuple[float, dict]:
    SECONDS.clear()
    with fingerprint_timers():
        start = time.perf_counter()
        build(config)
        wall = time.perf_counter() - start
    return wall, dict(SECONDS)


def report(name: str, wall: float, parts: dict) -> dict:
    total = sum(parts.values())
    print(f"{name}: build {wall:.1f} s; content keys {total:.2f} s = {100 * total / wall:.2f} % of it")
    for part, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"    {part:<18} {seconds:7.3f} s")
    return {"wall_s": round(wall, 2), "content_keys_s": round(total, 3), "parts_s": parts}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=int, default=5000)
    parser.add_argument("--per-label", type=int, default=2)
    parser.add_argument("--photo-rows", type=int, default=4000, help="rows per level of the photo build")
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="s2h-bench-fp-") as tmp:
        tmp = Path(tmp)
        if not args.skip_default:
            wall, parts = timed_build(BuildConfig(out=str(tmp / "default"), quiet=True))
            results["default_paper_size"] = report("default sources, 20K rows per level", wall, parts)
        folder = tmp / "photos"
        make_folder(folder, args.labels, args.per_label)
        photo = dict(source=[f"imagefolder:{folder}"], n_per_level=args.photo_rows, quiet=True, levels="1,3")
        wall, parts = timed_build(BuildConfig(out=str(tmp / "photo"), **photo))
        results["photo_folder"] = report(f"photo folder, {args.labels * args.per_label} images", wall, parts)

        # unfinished build (every shard written, stopped before the card), one image repainted, rerun
        out = tmp / "photo-resume"
        stop = mock.patch.object(build_module, "blind_audit", side_effect=KeyboardInterrupt)
        with stop, suppress(KeyboardInterrupt):
            build(BuildConfig(out=str(out), **photo))
        target = sorted(folder.rglob("*.jpg"))[0]
        with Image.open(target) as image:
            ImageOps.invert(image.convert("RGB")).save(target, format="JPEG", quality=90)
        resumed_wall, parts = timed_build(BuildConfig(out=str(out), **photo))
        shards = json.loads((out / "build_report.json").read_text())["shards"]
        print(
            f"resume after repainting 1 of {args.labels * args.per_label} images: {resumed_wall:.1f} s "
            f"({shards['written']} shards rewritten, {shards['reused']} reused) against {wall:.1f} s fresh "
            f"= {resumed_wall / wall:.2f}x"
        )
        results["one_image_resume"] = {
            "wall_s": round(resumed_wall, 2),
            "fresh_wall_s": round(wall, 2),
            **shards,
        }
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
