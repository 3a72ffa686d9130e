"""`s2h validate` on tampered folders: every corruption is one problem line (never a traceback), and the
manifest in build_report.json catches what the row checks cannot (deleted, stray or altered files)."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.cli import main
from s2h_dataset.validate import validate

SHARD = "data/level1/train-00000-of-00003.parquet"


@pytest.fixture(scope="module")
def multi_shard(tmp_path_factory):
    """3 train shards + 1 test shard per level, so a deleted shard leaves its config's glob matching."""
    out = tmp_path_factory.mktemp("integrity") / "s2h"
    return build(
        BuildConfig(
            out=str(out), n_per_level=30, test_fraction=0.2, filter=False, shard_rows=8, arithmetic_pool=64
        )
    )


@pytest.fixture
def copy(multi_shard, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(multi_shard, target, symlinks=True)
    return target


def _delete(root: Path):
    (root / "data/level1/train-00001-of-00003.parquet").unlink()
    return ["data/level1/train-00001-of-00003.parquet: missing (1 of 3 `train` shards absent)"]


def _stray_other_name(root: Path):
    shutil.copyfile(root / SHARD, root / "data/level1/train-copy.parquet")
    return ["data/level1/train-copy.parquet: not a shard name", "not in the build's manifest"]


def _stray_shard_name(root: Path):
    shutil.copyfile(root / SHARD, root / "data/level2/train-00000-of-00004.parquet")
    return [
        "shards disagree on their count",
        "duplicate id (also in data/level1/train-00000-of-00003.parquet)",
    ]


def _flip_image_bytes(root: Path):
    path = root / SHARD
    data = bytearray(path.read_bytes())
    start = len(data) // 2  # the middle of a shard is image bytes (the dictionary page)
    data[start : start + 64] = random.Random(0).randbytes(64)
    path.write_bytes(bytes(data))
    return [f"{SHARD}: its bytes differ from the build's manifest"]


def _broken_footer(root: Path):
    path = root / SHARD
    data = bytearray(path.read_bytes())
    data[-12:-4] = b"\xff" * 8  # footer length and metadata end
    path.write_bytes(bytes(data))
    return [f"{SHARD}: cannot be read as parquet"]


def _truncated(root: Path):
    path = root / SHARD
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [f"{SHARD}: cannot be read as parquet"]


def _empty(root: Path):
    (root / SHARD).write_bytes(b"")
    return [f"{SHARD}: cannot be read as parquet"]


def _symlink(root: Path):
    (root / SHARD).unlink()
    os.symlink(root / "README.md", root / SHARD)
    return [f"{SHARD}: is a symlink"]


def _level4(root: Path):
    (root / "data/level4").mkdir()
    shutil.copyfile(root / SHARD, root / "data/level4/train-00000-of-00001.parquet")
    return ["data/level4: not a level folder of this dataset"]


def _meta_not_json(root: Path):
    path = root / SHARD
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["meta"] = "{not json"
    pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    return ["meta is not a JSON object"]


def _report_not_json(root: Path):
    (root / "build_report.json").write_text("{oops")
    return ["build_report.json: not readable JSON"]


CASES = [
    _delete,
    _stray_other_name,
    _stray_shard_name,
    _flip_image_bytes,
    _broken_footer,
    _truncated,
    _empty,
    _symlink,
    _level4,
    _meta_not_json,
    _report_not_json,
]


def test_the_build_validates(multi_shard):
    assert validate(multi_shard) == []
    manifest = json.loads((multi_shard / "build_report.json").read_text())["manifest"]
    assert manifest[SHARD]["rows"] == 8 and len(manifest[SHARD]["sha256"]) == 64
    assert {"README.md", "data/level3/test-00000-of-00001.parquet"} <= set(manifest)


@pytest.mark.parametrize("damage", CASES, ids=lambda f: f.__name__.strip("_"))
def test_each_corruption_is_reported_in_one_line(copy, damage, capsys):
    expected = damage(copy)
    problems = validate(copy)
    assert problems and all("\n" not in p for p in problems), problems
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert main(["validate", str(copy)]) == 1  # through the CLI: a problem list, not a traceback
    assert "Traceback" not in capsys.readouterr().err


def _manifest_edit(root: Path, **extra):
    """Rewrite the manifest to match the folder as it now is (a consistent edit), plus `extra` entries."""
    from s2h_dataset.integrity import file_manifest

    report = json.loads((root / "build_report.json").read_text())
    report["manifest"] = file_manifest(root) | extra
    (root / "build_report.json").write_text(json.dumps(report))


def _card_edit(root: Path, edit):
    readme = root / "README.md"
    readme.write_text(edit(readme.read_text()))
    _manifest_edit(root)


def _extra_py(root: Path):
    (root / "loader.py").write_text("import os\n")
    _manifest_edit(root)
    return ["loader.py: not a file a build publishes (README.md, build_report.json, data/levelL/"]


def _manifest_outside(root: Path):
    entry = {"bytes": 1, "sha256": "0" * 64}
    _manifest_edit(root, **{"/etc/hostname": entry, "../other/README.md": entry, ".env": entry})
    return [
        'its manifest lists "/etc/hostname", not a file a build publishes',
        'its manifest lists "../other/README.md", not a file a build publishes',
        'its manifest lists ".env", not a file a build publishes',
    ]


def _swapped_levels(root: Path):
    def swap(text):
        return text.replace("- data/level1/", "- data/levelX/").replace("- data/level2/", "- data/level1/")

    _card_edit(root, lambda text: swap(text).replace("- data/levelX/", "- data/level2/"))
    return [
        "config `level1` split `train` pattern data/level2/train-*.parquet matches data/level2/train-00000-of-"
        "00003.parquet, not a `train` shard of level 1"
    ]


def _swapped_splits(root: Path):
    _card_edit(root, lambda text: text.replace("- data/level3/train-", "- data/level3/test-", 1))
    return ["not a `train` shard of levels 1, 2, 3"]


def _config_into_other_folder(root: Path):
    other = root.parent / "other"
    shutil.copytree(root, other)
    _card_edit(root, lambda text: text.replace("- data/level1/train-", "- ../other/data/level1/train-"))
    return ["pattern ../other/data/level1/train-*.parquet is not a path inside the folder"]


def _config_absolute_and_not_text(root: Path):
    _card_edit(
        root,
        lambda text: text.replace("- data/level1/train-*", f"- {root}/data/level1/train-*").replace(
            "- data/level2/test-*.parquet", "- 12"
        ),
    )
    return [
        f"pattern {root}/data/level1/train-*.parquet is not a path inside the folder",
        "pattern 12 is not",
    ]


LAYOUT_CASES = [
    _extra_py,
    _manifest_outside,
    _swapped_levels,
    _swapped_splits,
    _config_into_other_folder,
    _config_absolute_and_not_text,
]


@pytest.mark.parametrize("damage", LAYOUT_CASES, ids=lambda f: f.__name__.strip("_"))
def test_only_the_layout_validates_whatever_the_manifest_says(copy, damage):
    expected = damage(copy)
    problems = validate(copy)
    assert problems and all("\n" not in p for p in problems), problems
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)


def test_a_fifo_named_like_a_shard_is_one_problem_line_not_a_hang(copy):
    import subprocess
    import sys

    (copy / SHARD).unlink()
    os.mkfifo(copy / SHARD)
    code = "import sys; from s2h_dataset.validate import validate; print('\\n'.join(validate(sys.argv[1])))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(copy)], capture_output=True, text=True, timeout=120
    )  # the guard: today's code blocks in open() for ever
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        f"{SHARD}: not a regular file (a FIFO, socket or device); a build writes regular files only"
    ]


class _RecordingHub:
    """Stands in for the Hub's HTTP side only (no network here); records what push asks of it."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append("create_repo")

    def create_commit(self, **kwargs):
        self.calls.append(sorted(op.path_in_repo for op in kwargs["operations"]))


@pytest.mark.parametrize("planted", ["loader.py", "outside"])
def test_push_uploads_only_layout_files_whatever_the_manifest_says(copy, planted):
    from s2h_dataset.atomic import sha256_file
    from s2h_dataset.errors import UserError
    from s2h_dataset.hub import push_dataset, upload_operations

    if planted == "loader.py":
        (copy / "loader.py").write_text("import os\n")
        _manifest_edit(copy)
    else:  # an absolute path: uploaded as `tmp/.../hostname` by today's code
        secret = copy.parent / "hostname"
        secret.write_text("build-machine-7\n")
        _manifest_edit(copy, **{str(secret): {"bytes": 16, "sha256": sha256_file(secret)}})
    hub = _RecordingHub()
    with pytest.raises(UserError, match=r"failed validation .*not a file a build publishes"):
        push_dataset(copy, "org/s2h-dpo", api=hub)
    assert hub.calls == []
    with pytest.raises(UserError, match="not a file a build publishes"):
        upload_operations(copy)
