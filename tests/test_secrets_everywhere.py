"""No planted secret reaches any file `s2h build`, `s2h eval` or `s2h push` writes, nor their logs (issue #20).

Every credential shape is planted where a user or a server puts it: the URL of `--captioner` / `--backend` /
`--judge` (userinfo with `@` in the password, `?api_key=`, `?subscription-key=`, `?x-api-key=`), the bodies
of a stand-in server's error answers (token shapes, header-like pairs, a key that starts just before the
200th character) and its replies. Then every file each command wrote, its stdout and stderr, and the exact
bytes `s2h push` hands to the Hub are searched for each secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_http import JSONHandler, running
from test_publish import RecordingApi

from s2h_dataset.errors import UserError
from s2h_dataset.hub import push_dataset

# each secret's own marker, the text searched for (a leak of any part of the secret contains its marker)
USERINFO = "plantuser:pw@ATSECRET1"  # `@` inside the password: everything up to the last `@` is userinfo
QUERY = {"api_key": "QAPIKEYSECRET", "subscription-key": "QSUBKEYSECRET", "x-api-key": "QXAPIKEYSECRET"}
TOKENS = {
    "ghp_GHPSECRETabcdefghijklmnop0123": "GHPSECRET",
    "hf_HFSECRETabcdefghijklmnopqrst": "HFSECRET",
    "sk-SKSECRETabcdefghijklmnopqrst": "SKSECRET",
    "x-api-key: XHDRSECRET": "XHDRSECRET",
    "Authorization: Bearer BEARERSECRET0123": "BEARERSECRET",
}
CUT = "hf_CUTLEAKabcdefghijklmnopqrstu"  # starts 8 characters before the 200th of the excerpt
MARKERS = ["plantuser", "ATSECRET1", *QUERY.values(), *TOKENS.values(), "CUTLE"]
SHORT_BODY = "refused: " + " ".join(TOKENS)
# the excerpt is `{"error": "` + body: 11 + 181 puts `hf_` at character 192, cut at 200 to `hf_CUTLE`
LONG_BODY = "a" * 180 + " " + CUT


def _spec(port: int, model: str) -> str:
    query = "&".join(f"{name}={value}" for name, value in QUERY.items())
    return f"openai:http://{USERINFO}@127.0.0.1:{port}/v1?{query}#{model}"


class _Planting(JSONHandler):
    """OpenAI-compatible: the first two requests get a 503 whose body carries secrets (so retries log
    them), the rest reply `server.reply`. Each request's path is kept."""

    def do_POST(self):
        self.body()
        with self.server.lock:
            self.server.paths.append(self.path)
            count = len(self.server.paths)
        if count <= 2:
            self.send_json(503, {"error": LONG_BODY if count == 1 else SHORT_BODY})
            return
        self.send_json(200, {"choices": [{"message": {"role": "assistant", "content": self.server.reply}}]})


def _env() -> dict:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TQDM_DISABLE": "1",
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    env.pop("S2H_HTTP_LOGS", None)
    return env


def _s2h(*args: str) -> str:
    """Run `s2h ARGS` in a subprocess (its own logging setup, as a user runs it); returns stdout + stderr."""
    command = [sys.executable, "-m", "s2h_dataset.cli", *args]
    result = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def _leaks(blobs: dict[str, bytes]) -> list[str]:
    return [
        f"{marker} in {name}" for name, data in blobs.items() for marker in MARKERS if marker.encode() in data
    ]


def _files(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def _check_paths(server) -> None:
    """The base URL's query stays a query: the path is joined before it, never appended after it."""
    assert server.paths and all(path.startswith("/v1/chat/completions?api_key=") for path in server.paths)


@pytest.fixture(scope="module")
def build_out(tmp_path_factory):
    """A small level-3 build captioned through a URL full of credentials; its folders and its logs."""
    tmp = tmp_path_factory.mktemp("secrets-build")
    with running(_Planting, paths=[], reply="A small picture of one thing.") as server:
        logs = _s2h(
            "build", "--out", str(tmp / "out"), "--levels", "3", "--n_per_level", "16", "--no_filter",
            "--captioner", _spec(server.server_address[1], "captioner"), "--caption_cache", str(tmp / "cache"),
        )  # fmt: skip
        _check_paths(server)
    assert "retry 1/" in logs  # the planted error bodies were logged (redacted)
    return tmp, logs


def test_build_writes_no_secret(build_out):
    tmp, logs = build_out
    assert _leaks({"logs": logs.encode(), **_files(tmp / "out", tmp / "cache")}) == []
    assert "http://***@127.0.0.1" in (tmp / "out" / "README.md").read_text()  # still says which server


def test_eval_writes_no_secret(tmp_path):
    reply = "Hard to say. " + " ".join(TOKENS)  # unreadable (so the judge is asked), and full of secrets
    with running(_Planting, paths=[], reply=reply) as server:
        port = server.server_address[1]
        out = tmp_path / "eval"
        logs = _s2h(
            "eval", "--model-name-or-path", "served", "--backend", _spec(port, "served"),
            "--judge", _spec(port, "judge"), "--eval-tasks", "l3probe", "--probe-questions", "4",
            "--concurrency", "2", "--out", str(out),
        )  # fmt: skip
        _check_paths(server)
    assert "retry 1/" in logs
    files = _files(out)
    assert {Path(name).name for name in files} >= {
        "run.json",
        "results.json",
        "predictions.jsonl",
        "judge.jsonl",
    }
    assert _leaks({"logs": logs.encode(), **files}) == []
    run = json.loads((out / "run.json").read_text())
    assert run["answer_settings"]["l3probe"]["backend"].startswith("openai:http://***@127.0.0.1:")


def test_push_uploads_no_secret(build_out, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(build_out[0] / "out", folder)
    api = RecordingApi()
    push_dataset(folder, "org/s2h-dpo", api=api)
    (_, _, commit) = api.calls[1]
    uploaded = {}
    for operation in commit["operations"]:
        with operation.as_file() as f:
            uploaded[operation.path_in_repo] = f.read()
    assert "README.md" in uploaded and "build_report.json" in uploaded
    assert _leaks(uploaded) == []


class _RefusingApi(RecordingApi):
    """The Hub answers the commit with an error whose long body carries secrets."""

    def create_commit(self, **kwargs):
        raise RuntimeError(
            "a" * 290 + f" {CUT} " + SHORT_BODY + f" http://{USERINFO}@hub/x?api_key=QAPIKEYSECRET"
        )


def test_push_error_line_has_no_secret(build_out, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(build_out[0] / "out", folder)
    with pytest.raises(UserError) as refused:
        push_dataset(folder, "org/s2h-dpo", api=_RefusingApi())
    assert "the Hub refused" in str(refused.value)
    assert _leaks({"error": str(refused.value).encode()}) == []


TRAINING_LOG = """
import logging, sys
from s2h_dataset.training.steps import setup_logging

class Args:
    should_log = True
    def get_process_log_level(self):
        return logging.INFO

setup_logging(Args())
logging.getLogger("s2h_dataset.training").info("pushing to %s with %s", sys.argv[1], sys.argv[2])
"""


def test_training_log_has_no_secret():
    url = f"http://{USERINFO}@hub.example/api?api_key=QAPIKEYSECRET"
    command = [sys.executable, "-c", TRAINING_LOG, url, SHORT_BODY]
    result = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    logs = result.stdout + result.stderr
    assert "pushing to http://***@hub.example/api?api_key=***" in logs
    assert _leaks({"logs": logs.encode()}) == []


def test_space_messages_have_no_secret():
    from s2h_dataset.space.search import _toast
    from s2h_dataset.space.ui import _explorer_refusal

    message = f"cannot open http://{USERINFO}@hub/x?api_key=QAPIKEYSECRET: {SHORT_BODY}"
    shown = _explorer_refusal(UserError(message))[2]
    assert shown.startswith("⚠️ cannot open http://***@hub/x?api_key=***")
    assert _leaks({"explorer": shown.encode(), "toast": _toast(message).encode()}) == []
