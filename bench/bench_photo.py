"""Photo-scale benchmark: `s2h build` on a generated photo-like imagefolder, where images rarely repeat.

The bundled emoji repeat thousands of times, so their shards stay small whatever the writer does. A source like
the paper's (ImageNet) has thousands of labels and a few images each: this script generates one (default
3,000 labels x 2 images, 384 px JPEG of about 50 KB: a smooth colour field plus film-grain texture, so JPEG
sizes are those of photos, not of flat shapes; with a free-text caption per image in `captions.jsonl`), then
builds it at two sizes with the filter on, each build in a fresh process, and reports wall time, pairs/s,
peak RSS, disk bytes per pair against the unique content, and the largest row group once read back (the Hub
viewer refuses above 286 MiB), plus the peak RSS ratio large / small (flat memory: at most 1.3).

Usage:
    python bench/bench_photo.py                         # 2K vs 20K rows per level, 6,000 images
    python bench/bench_photo.py --sizes 20000 --images /tmp/photos   # reuse a generated folder
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

import numpy as np
from bench_build import bench
from PIL import Image

SYLLABLES = [c + v for c in "bdfgklmnprtvz" for v in "aeiou"]
ADJECTIVES = ["small", "large", "old", "bright", "dark", "wet", "dusty", "shiny", "striped", "spotted"]
PLACES = [
    "on a table",
    "in a field",
    "near a window",
    "on the grass",
    "in the snow",
    "on a shelf",
    "by the sea",
    "in a forest",
]
SIDE = 384


def label_names(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct made-up one-word labels (no shared words, so no label is a near-synonym of another)."""
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES, size=3)) + "x")  # never ends in "s": no plural collapse
    return sorted(names)


def textures(rng: np.random.Generator, count: int = 24) -> list[np.ndarray]:
    """Grain textures to crop from: low-frequency structure plus fine noise, as photos have both."""
    out = []
    for _ in range(count):
        coarse = rng.normal(0, rng.uniform(20, 36), (SIDE // 4 + 32, SIDE // 4 + 32))
        image = Image.fromarray((coarse + 128).clip(0, 255).astype(np.uint8))
        smooth = np.asarray(image.resize((SIDE + 128, SIDE + 128), Image.BILINEAR), dtype=np.int16) - 128
        out.append((smooth + rng.normal(0, rng.uniform(3, 6), smooth.shape)).astype(np.int16)[..., None])
    return out


def photo(rng: np.random.Generator, grain: list[np.ndarray]) -> bytes:
    field = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).resize(
        (SIDE, SIDE), Image.BICUBIC
    )
    texture = grain[rng.integers(len(grain))]
    y, x = rng.integers(0, 128, 2)
    pixels = (np.asarray(field, dtype=np.int16) + texture[y : y + SIDE, x : x + SIDE]).clip(0, 255)
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def make_folder(root: Path, labels: int, per_label: int, seed: int = 0) -> dict:
    """Write `root/<label>/<i>.jpg` and `root/captions.jsonl` once; reuse it when already complete."""
    done = root / ".complete.json"
    if done.exists():
        return json.loads(done.read_text())
    rng = np.random.default_rng(seed)
    grain = textures(rng)
    sizes, captions = [], []
    for label in label_names(labels, rng):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_label):
            data = photo(rng, grain)
            (root / label / f"{i}.jpg").write_bytes(data)
            sizes.append(len(data))
            caption = f"A {rng.choice(ADJECTIVES)} {label} {rng.choice(PLACES)}."
            captions.append(json.dumps({"file": f"{label}/{i}.jpg", "caption": caption}))
    (root / "captions.jsonl").write_text("\n".join(captions) + "\n")
    info = {"images": len(sizes), "labels": labels, "mean_kb": float(np.mean(sizes)) / 1000}
    done.write_text(json.dumps(info))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000], help="rows per level")
    parser.add_argument("--labels", type=int, default=3000)
    parser.add_argument("--per-label", type=int, default=2)
    parser.add_argument(
        "--images", help="folder for the generated images, kept for reruns (default: temporary)"
    )
    parser.add_argument("--levels", default="1,2,3")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.images) if args.images else Path(tmp) / "photos"
        info = make_folder(folder, args.labels, args.per_label)
        print(
            f"imagefolder: {info['images']} images, {info['labels']} labels, mean {info['mean_kb']:.1f} KB\n"
        )
        base = {"seed": 0, "source": [f"imagefolder:{folder}"], "levels": args.levels}
        bench(base, args.sizes, Path(tmp), config="level3")


if __name__ == "__main__":
    main()
