"""`s2h export`: LLaMA-Factory's and ms-swift's multi-image preference formats, read back by their documents.

Each reader below follows only the format's documentation (never our writer):
- LLaMA-Factory: hiyouga/LLaMA-Factory `data/README.md` (commit 2ad9871b), sharegpt "Preference Dataset" and
  "Multimodal Image Dataset": `dataset_info.json` entries with `formatting: sharegpt`, `ranking: true` and a
  `columns` map; messages alternate `human` (odd positions) / `gpt`; a preference row has an odd number of
  messages and `chosen` / `rejected` messages from `gpt`; "the number of images should be identical to the
  `<image>` tokens"; relative image paths resolve against `media_dir` = `dataset_dir`
  (`src/llamafactory/data/converter.py`, `_find_medias`).
- ms-swift: modelscope/ms-swift `docs/source_en/Customization/Custom-dataset.md` (commit 3aef58b5), "RLHF"
  and "Multimodal": JSON lines with `messages` (user / assistant, the last assistant message is the chosen
  response), `rejected_response`, and `images` whose `<image>` tags mark where each image goes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset

from s2h_dataset.cli import main


def _originals(folder: Path, level: int, split: str) -> list[dict]:
    rows = []
    for path in sorted(folder.glob(f"data/level{level}/{split}-*.parquet")):
        rows += pq.read_table(path, columns=["images", "prompt", "chosen", "rejected"]).to_pylist()
    return rows


def _text(messages):
    return "".join(p["text"] for p in messages[0]["content"] if p["type"] == "text")


def _check_row(original: dict, prompt: str, chosen: str, rejected: str, images: list[str], root: Path):
    assert prompt.count("<image>") == len(images) == len(original["images"])
    assert prompt.replace("<image>", "") == _text(original["prompt"])
    assert (chosen, rejected) == (_text(original["chosen"]), _text(original["rejected"]))
    for path, image in zip(images, original["images"]):
        assert not Path(path).is_absolute()
        assert (root / path).read_bytes() == image["bytes"]  # the shard's bytes, not re-encoded


def _read_llamafactory(root: Path) -> dict[str, list[dict]]:
    info = json.loads((root / "dataset_info.json").read_text())
    read = {}
    for name, entry in info.items():
        assert name.startswith("s2h_level")
        assert entry["formatting"] == "sharegpt" and entry["ranking"] is True
        columns = entry["columns"]
        rows = load_dataset("json", data_files=str(root / entry["file_name"]), split="train")
        out = []
        for row in rows:
            messages = row[columns["messages"]]
            assert len(messages) % 2 == 1  # ranking: prompt turns end on a human turn
            assert [m["from"] for m in messages] == [("human", "gpt")[i % 2] for i in range(len(messages))]
            chosen, rejected = row[columns["chosen"]], row[columns["rejected"]]
            assert chosen["from"] == rejected["from"] == "gpt"
            out.append(
                dict(
                    prompt=messages[-1]["value"],
                    chosen=chosen["value"],
                    rejected=rejected["value"],
                    images=row[columns["images"]],
                )
            )
        read[entry["file_name"]] = out
    return read


def _read_swift(root: Path) -> dict[str, list[dict]]:
    read = {}
    for file in sorted(root.glob("*.jsonl")):
        out = []
        for row in load_dataset("json", data_files=str(file), split="train"):
            roles = [m["role"] for m in row["messages"]]
            assert roles == ["user", "assistant"]
            out.append(
                dict(
                    prompt=row["messages"][0]["content"],
                    chosen=row["messages"][-1]["content"],
                    rejected=row["rejected_response"],
                    images=row["images"],
                )
            )
        read[file.name] = out
    return read


@pytest.mark.parametrize(("fmt", "reader"), [("llamafactory", _read_llamafactory), ("swift", _read_swift)])
def test_export_round_trips_through_the_documented_schema(built_dataset, tmp_path, fmt, reader, capsys):
    folder = Path(built_dataset)
    out = tmp_path / fmt
    assert main(["export", str(folder), str(out), "--format", fmt]) == 0
    assert f"({fmt}): {out}" in capsys.readouterr().out
    read = reader(out)
    suffix = ".json" if fmt == "llamafactory" else ".jsonl"
    assert sorted(read) == sorted(f"level{lv}_{sp}{suffix}" for lv in (1, 2, 3) for sp in ("train", "test"))
    for file, rows in read.items():
        level, split = int(file[5]), file.split("_")[1].split(".")[0]
        originals = _originals(folder, level, split)
        assert len(rows) == len(originals) > 0
        for row, original in zip(rows, originals):
            _check_row(original, row["prompt"], row["chosen"], row["rejected"], row["images"], out)
    # an image shared by rows is one file
    referenced = {p for rows in read.values() for row in rows for p in row["images"]}
    assert len(list((out / "images").iterdir())) == len(referenced)


def test_export_refuses_a_used_or_overlapping_out(built_dataset, tmp_path, capsys):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("keep")
    assert main(["export", str(built_dataset), str(tmp_path / "used"), "--format", "swift"]) == 2
    assert "exists and is not empty; pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "used" / "x").read_text() == "keep"
    assert main(["export", str(built_dataset), str(Path(built_dataset) / "x"), "--format", "swift"]) == 2
    assert "is inside the dataset folder" in capsys.readouterr().err
    assert main(["export", str(built_dataset), str(tmp_path / "o"), "--format", "axolotl"]) == 2
    assert "invalid choice" in capsys.readouterr().err
