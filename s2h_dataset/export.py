"""`s2h export`: a built folder in the multi-image preference formats of other trainers.

Each format is keyword data in `FORMATS`: how one row is written and how the files are registered. Images
are written once each as files under `OUT/images/` (named by a hash of their bytes, the bytes unchanged,
so an image shared by many rows is stored once) and referenced by paths relative to `OUT`.

- `llamafactory` (LLaMA-Factory's sharegpt preference format; hiyouga/LLaMA-Factory `data/README.md`,
  commit 2ad9871b, "Preference Dataset" and "Multimodal Image Dataset" of the sharegpt section):
  `{"conversations": [{"from": "human", "value": "<image>...<image>TEXT"}], "chosen": {"from": "gpt",
  "value": ...}, "rejected": {"from": "gpt", ...}, "images": [PATH, ...]}`, one `<image>` per image in order,
  and `OUT/dataset_info.json` registering each file with `"formatting": "sharegpt"`, `"ranking": true` and
  the `messages` / `chosen` / `rejected` / `images` columns. Relative image paths are resolved against
  `media_dir`, which defaults to `dataset_dir` (`src/llamafactory/data/converter.py`, `_find_medias`): train
  with `dataset_dir: OUT`.
- `swift` (ms-swift's standard format; modelscope/ms-swift `docs/source_en/Customization/Custom-dataset.md`,
  commit 3aef58b5, "RLHF: DPO/ORPO/CPO/SimPO/RM" and "Multimodal"): JSON lines of `{"messages": [{"role":
  "user", "content": "<image>...TEXT"}, {"role": "assistant", "content": CHOSEN}], "rejected_response":
  REJECTED, "images": [PATH, ...]}`. ms-swift resolves a relative image path against the working directory
  (modelscope/ms-swift#7887), so its training command runs from `OUT`.

One file per level and split (`level1_train.json`, ...), rows in the shards' order.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write
from .errors import UserError
from .layout import LEVELS, SPLITS, parse_shard_path

__all__ = ["FORMATS", "IMAGE_TOKEN", "export"]

logger = logging.getLogger(__name__)

# the placeholder both trainers count against `images` (LLaMA-Factory data/README.md; ms-swift Custom-dataset.md)
IMAGE_TOKEN = "<image>"
IMAGES_DIR = "images"


def _user_text(prompt: list[dict]) -> str:
    """The user message as one string: `<image>` for each image part, in order, then the text parts."""
    (message,) = prompt
    parts = []
    for part in message["content"]:
        if part["type"] == "image":
            parts.append(IMAGE_TOKEN)
        else:
            if IMAGE_TOKEN in part["text"]:
                raise UserError(
                    f"a prompt holds the text `{IMAGE_TOKEN}`, which the trainers read as an image"
                )
            parts.append(part["text"])
    return "".join(parts)


def _reply(messages: list[dict]) -> str:
    (message,) = messages
    return "".join(part["text"] for part in message["content"] if part["type"] == "text")


def _llamafactory_row(prompt: str, chosen: str, rejected: str, images: list[str]) -> dict:
    return {
        "conversations": [{"from": "human", "value": prompt}],
        "chosen": {"from": "gpt", "value": chosen},
        "rejected": {"from": "gpt", "value": rejected},
        "images": images,
    }


def _swift_row(prompt: str, chosen: str, rejected: str, images: list[str]) -> dict:
    return {
        "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": chosen}],
        "rejected_response": rejected,
        "images": images,
    }


def _llamafactory_registry(files: dict[str, str]) -> dict[str, bytes]:
    info = {
        f"s2h_{name}": {
            "file_name": file,
            "formatting": "sharegpt",
            "ranking": True,
            "columns": {
                "messages": "conversations",
                "chosen": "chosen",
                "rejected": "rejected",
                "images": "images",
            },
        }
        for name, file in files.items()
    }
    train = ",".join(f"s2h_{name}" for name in files if name.endswith("_train"))
    readme = (
        "# S2H-DPO for LLaMA-Factory\n\n"
        "Written by `s2h export --format llamafactory` (sharegpt preference format with images).\n"
        "In a LLaMA-Factory training YAML (`stage: dpo`):\n\n"
        f"```yaml\ndataset_dir: {{this folder}}\ndataset: {train}\n```\n"
    )
    return {"dataset_info.json": _json_bytes(info, indent=2), "README.md": readme.encode()}


def _swift_registry(files: dict[str, str]) -> dict[str, bytes]:
    train = " ".join(file for name, file in files.items() if name.endswith("_train"))
    readme = (
        "# S2H-DPO for ms-swift\n\n"
        "Written by `s2h export --format swift` (messages + rejected_response + images). Image paths are\n"
        "relative to this folder and ms-swift reads them from the working directory, so run from here:\n\n"
        f"```bash\nswift rlhf --rlhf_type dpo --model MODEL --dataset {train}\n```\n"
    )
    return {"README.md": readme.encode()}


@dataclass(frozen=True)
class Format:
    suffix: str  # `.json` (one JSON array, as LLaMA-Factory's examples) or `.jsonl`
    row: object  # (prompt, chosen, rejected, image paths) -> dict
    registry: object  # {name: file} -> {extra file: bytes}


FORMATS = {
    "llamafactory": Format(".json", _llamafactory_row, _llamafactory_registry),
    "swift": Format(".jsonl", _swift_row, _swift_registry),
}


def _json_bytes(value, indent=None) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")


def _image_file(data: bytes, out: Path, written: set[str]) -> str:
    """Write `data` once under `out/images/` (named by its hash, suffix by its format); its relative path."""
    from PIL import Image

    digest = hashlib.sha256(data).hexdigest()[:20]
    kind = (Image.open(io.BytesIO(data)).format or "png").lower()
    relative = f"{IMAGES_DIR}/{digest}.{'jpg' if kind == 'jpeg' else kind}"
    if relative not in written:
        atomic_write(out / relative, data)
        written.add(relative)
    return relative


def _shards(folder: Path) -> dict[tuple[int, str], list[Path]]:
    found: dict[tuple[int, str], list[Path]] = {}
    for path in sorted(folder.glob("data/level*/*.parquet")):
        name = parse_shard_path(path.relative_to(folder).as_posix())
        if name is not None:
            found.setdefault((name.level, name.split), []).append(path)
    if not found:
        raise UserError(f"{folder}: no parquet shards under data/; pass the folder `s2h build --out` wrote")
    return found


def _prepare(out: Path, folder: Path, overwrite: bool) -> None:
    if out.resolve() == folder.resolve() or folder.resolve() in out.resolve().parents:
        raise UserError(f"--out {out}: is inside the dataset folder {folder}; pick a folder outside it")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise UserError(f"--out {out}: exists and is not empty; pass --overwrite or another folder")
        shutil.rmtree(out)
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)


def export(folder: str | Path, fmt: str, out: str | Path, overwrite: bool = False) -> dict[str, int]:
    """Write the built `folder` to `out` in format `fmt`; rows per written file."""
    import pyarrow.parquet as pq

    from .progress import bar

    if fmt not in FORMATS:
        raise UserError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
    spec, folder, out = FORMATS[fmt], Path(folder), Path(out).expanduser()
    shards = _shards(folder)
    _prepare(out, folder, overwrite)
    written: set[str] = set()
    counts: dict[str, int] = {}
    files: dict[str, str] = {}
    total = sum(pq.ParquetFile(p).metadata.num_rows for paths in shards.values() for p in paths)
    with bar(desc=f"export {fmt}: rows", unit="row", total=total) as progress:
        for level in LEVELS:
            for split in SPLITS:
                rows = []
                for path in shards.get((level, split), ()):
                    columns = ["images", "prompt", "chosen", "rejected"]
                    for record in pq.read_table(path, columns=columns).to_pylist():
                        images = [_image_file(image["bytes"], out, written) for image in record["images"]]
                        prompt = _user_text(record["prompt"])
                        rows.append(
                            spec.row(prompt, _reply(record["chosen"]), _reply(record["rejected"]), images)
                        )
                        progress.update(1)
                if not rows:
                    continue
                name = f"level{level}_{split}"
                files[name] = name + spec.suffix
                if spec.suffix == ".json":
                    data = _json_bytes(rows)
                else:
                    data = b"".join(_json_bytes(row) for row in rows)
                atomic_write(out / files[name], data)
                counts[files[name]] = len(rows)
    for relative, data in spec.registry(files).items():
        atomic_write(out / relative, data)
    logger.info("exported %d rows and %d images to %s (%s)", sum(counts.values()), len(written), out, fmt)
    return counts
