"""`s2h validate` catches broken folders; `s2h push` validates first and calls the Hub API correctly."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi

from s2h_dataset.cli import main
from s2h_dataset.errors import UserError
from s2h_dataset.hub import push_dataset, upload_operations
from s2h_dataset.validate import validate


@pytest.fixture
def build_copy(built_dataset, tmp_path):
    """A copy of the session's build: a push rewrites the card, which other tests read as built."""
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset, copy)
    return copy


@pytest.fixture
def broken_copy(build_copy):
    copy = build_copy
    shard = copy / "data" / "level2" / "test-00000-of-00001.parquet"
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[0]["rejected"] = rows[0]["chosen"]  # a pair that teaches nothing
    rows[1]["target"] = 7  # out of range
    fixed = table.from_pylist(rows, schema=table.schema)
    pq.write_table(fixed, shard)
    (copy / "data" / "level3" / "test-00000-of-00001.parquet").unlink()  # a config names a missing file
    return copy


def test_validate_lists_problems_and_exits_1(broken_copy, capsys):
    assert main(["validate", str(broken_copy)]) == 1
    err = capsys.readouterr().err
    assert "chosen equals rejected" in err and "target 7 out of range" in err
    assert "level3/test-*.parquet matches no file" in err


def test_validate_accepts_the_build(built_dataset, capsys):
    assert main(["validate", str(built_dataset)]) == 0
    assert "valid" in capsys.readouterr().out


class RecordingApi:
    """Stands in for the Hub's HTTP side only; records what our code asks of it."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))
        return f"https://huggingface.co/datasets/{repo_id}"

    def create_commit(self, **kwargs):
        self.calls.append(("create_commit", kwargs["repo_id"], kwargs))
        return "https://huggingface.co/datasets/org/s2h-dpo/commit/abc"


def test_push_creates_dataset_repo_and_uploads_folder(build_copy):
    api = RecordingApi()
    url = push_dataset(build_copy, "org/s2h-dpo", private=True, api=api)
    assert url.endswith("/commit/abc")
    (name, repo, create), (name2, repo2, commit) = api.calls
    assert (name, repo, name2, repo2) == ("create_repo", "org/s2h-dpo", "create_commit", "org/s2h-dpo")
    assert create == {"repo_type": "dataset", "private": True, "exist_ok": True}
    assert commit["repo_type"] == "dataset"
    uploaded = {op.path_in_repo: op for op in commit["operations"]}
    manifest = json.loads((build_copy / "build_report.json").read_text())["manifest"]
    assert set(uploaded) == set(manifest) | {"build_report.json"}  # exactly the validated files
    assert "data/level1/train-00000-of-00001.parquet" in uploaded and "README.md" in uploaded
    assert not any(path.endswith(".py") or "/." in f"/{path}" for path in uploaded)  # no loading script
    for path, entry in manifest.items():
        assert uploaded[path].upload_info.sha256.hex() == entry["sha256"]  # the bytes it hashed and sends
    assert 'load_dataset("org/s2h-dpo"' in (build_copy / "README.md").read_text()  # card names the repo
    assert validate(build_copy) == []  # the rewritten card is recorded in the manifest


def test_push_refuses_invalid_folder_before_any_call(broken_copy):
    api = RecordingApi()
    with pytest.raises(UserError, match="failed validation"):
        push_dataset(broken_copy, "org/s2h-dpo", api=api)
    assert api.calls == []


def test_push_with_real_client_offline_is_one_line(build_copy, monkeypatch, capsys):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(
        UserError, match=r"could not be reached.*OfflineModeIsEnabled.*HF_HUB_OFFLINE"
    ) as refused:
        push_dataset(build_copy, "org/s2h-dpo", api=HfApi(token="hf_dummy"))
    assert "HF_HUB_OFFLINE is set" in str(refused.value) and "download" not in str(refused.value)
    assert main(["push", str(build_copy), "--repo", "org/s2h-dpo"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("s2h push: error: the Hub refused or could not be reached") and "\n" not in err


def test_push_refuses_a_file_changed_after_validation(build_copy):
    copy = build_copy
    operations = upload_operations(copy)
    assert len(operations) == len(json.loads((copy / "build_report.json").read_text())["manifest"]) + 1
    with open(copy / "README.md", "a") as f:
        f.write("\nedited after validation\n")
    with pytest.raises(UserError, match=r"README\.md changed after validation"):
        upload_operations(copy)


def test_push_cli_bad_repo_is_one_line(built_dataset, capsys):
    assert main(["push", str(built_dataset), "--repo", "no-slash"]) == 2
    assert capsys.readouterr().err.strip() == "s2h push: error: --repo `no-slash` must look like ORG/NAME"


def test_push_takes_the_repo_the_build_recorded(build_copy, monkeypatch, capsys, caplog):
    """`s2h build --repo-id` is recorded; `s2h push DIR` then needs no --repo, and a different --repo wins
    with a line saying so."""
    assert main(["push", str(build_copy)]) == 2  # the session build recorded none
    assert capsys.readouterr().err.strip().endswith("pass --repo ORG/NAME (the build recorded no --repo-id)")
    report = json.loads((build_copy / "build_report.json").read_text())
    report["arguments"]["repo_id"] = "org/recorded"
    (build_copy / "build_report.json").write_text(json.dumps(report))
    apis = []
    monkeypatch.setattr("s2h_dataset.hub.HfApi", lambda: apis.append(RecordingApi()) or apis[-1])
    assert main(["push", str(build_copy)]) == 0
    assert apis[-1].calls[0][1] == "org/recorded"
    assert 'load_dataset("org/recorded"' in (build_copy / "README.md").read_text()
    assert main(["push", str(build_copy), "--repo", "org/other"]) == 0
    assert apis[-1].calls[0][1] == "org/other"
    assert "the card named org/recorded (s2h build --repo-id); it now names org/other" in caplog.text
