"""Every Hub failure `s2h eval` can meet ends in one line naming what failed and how to fix it.

Offline (HF_HUB_OFFLINE=1) is the real CLI in a child process, timed. The other failures come from a
stand-in Hub: a local HTTP server answering like huggingface.co does (status codes and `X-Error-Code`
headers), reached through HF_ENDPOINT, so huggingface_hub, datasets and transformers run unchanged.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from s2h_dataset.errors import UserError
from s2h_dataset.vlm.loading import load_processor

ROOT = Path(__file__).resolve().parents[2]

# repo name -> (status, X-Error-Code, X-Error-Message), as huggingface.co answers
ANSWERS = {
    "gated": (403, "GatedRepo", "Access to this repo is restricted. You must be authenticated."),
    "missing": (401, "RepoNotFound", "Repository not found"),
    "badrev": (404, "RevisionNotFound", "Invalid rev id: nope"),
    "badtoken": (401, None, "Invalid credentials in Authorization header"),
}


class _Hub(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        mode = next((m for m in ANSWERS if m in self.path), "missing")
        status, code, message = ANSWERS[mode]
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def hub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return env | {"PYTHONPATH": str(ROOT), "HF_HOME": str(tmp_path / "hf"), "TQDM_DISABLE": "1", **extra}


def test_offline_benchmark_fails_at_once_in_one_line(tmp_path):
    """The README's eval command offline, with no cached copy: one line in seconds, naming both fixes."""
    command = [
        sys.executable,
        "-m",
        "s2h_dataset.cli",
        "eval",
        "--eval-tasks",
        "mmstar",
        "--model-name-or-path",
        "m",
    ]
    command += ["--backend", "openai:http://127.0.0.1:9/v1#some-model", "--out", str(tmp_path / "out")]
    start = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, env=_env(tmp_path, HF_HUB_OFFLINE="1"), timeout=60
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "s2h eval: error: mmstar: cannot load Lin-Chen/MMStar config `val` split `val`"
    )
    assert "unset HF_HUB_OFFLINE (or set it to 0)" in lines[0]
    assert "pass --dataset-path mmstar=LOCAL_COPY" in lines[0]
    assert seconds < 10, f"offline failure took {seconds:.1f} s"


def test_offline_model_names_the_fix():
    """In process (the suite runs with HF_HUB_OFFLINE=1): a model id not in the cache."""
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    with pytest.raises(UserError) as caught:
        load_processor("someone/not-cached-vlm")
    message = str(caught.value)
    assert message.startswith("cannot load model `someone/not-cached-vlm`") and "\n" not in message
    assert "HF_HUB_OFFLINE is set" in message and "pass a local model folder" in message


_SCRIPT = """
import dataclasses, json
from s2h_dataset.errors import UserError
from s2h_dataset.eval.holdout import read_build_arguments
from s2h_dataset.eval.loading import load_units
from s2h_dataset.eval.spec import get_task
from s2h_dataset.vlm.loading import load_processor

spec = get_task("mmstar")
calls = {
    "dataset gated": lambda: load_units(dataclasses.replace(spec, hub_id="x/gated")),
    "dataset missing": lambda: load_units(dataclasses.replace(spec, hub_id="x/missing")),
    "dataset revision": lambda: load_units(dataclasses.replace(spec, hub_id="x/badrev"), revision="nope"),
    "dataset token": lambda: load_units(dataclasses.replace(spec, hub_id="x/badtoken")),
    "model gated": lambda: load_processor("org/gated-vlm"),
    "model missing": lambda: load_processor("org/missing-vlm"),
    "model revision": lambda: load_processor("org/badrev-vlm", revision="nope"),
    "model token": lambda: load_processor("org/badtoken-vlm"),
    "train dataset gated": lambda: read_build_arguments("x/gated"),
}
out = {}
for name, call in calls.items():
    try:
        call()
        out[name] = None
    except UserError as err:
        out[name] = str(err)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_hub_failures_name_what_failed_and_the_fix(hub, tmp_path):
    env = _env(tmp_path, HF_ENDPOINT=hub, HF_HUB_OFFLINE="0", HF_TOKEN="hf_not_a_valid_token")
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    messages = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(m is not None and "\n" not in m for m in messages.values()), messages
    gated = "accept its conditions on its Hub page, then log in with `hf auth login`"
    missing = (
        "check the repo id and its type (dataset or model), log in with `hf auth login` if it is private"
    )
    revision = "no such branch, tag or commit in the repo"
    token = "the Hub refuses the token: log in again with `hf auth login`, or fix or unset HF_TOKEN"
    for kind, fix in (("gated", gated), ("missing", missing), ("revision", revision), ("token", token)):
        dataset, model = messages[f"dataset {kind}"], messages[f"model {kind}"]
        assert dataset.startswith("mmstar: cannot load x/") and fix in dataset, dataset
        assert model.startswith("cannot load model `org/") and fix in model, model
    assert "pass --dataset-path mmstar=LOCAL_COPY" in messages["dataset missing"]
    assert "at --revision mmstar=nope" in messages["dataset revision"]
    assert "at revision nope" in messages["model revision"]
    assert "pass a local model folder" in messages["model missing"]
    assert messages["train dataset gated"].startswith(
        "`--train-dataset x/gated`: cannot read build_report.json"
    )
    assert gated in messages["train dataset gated"]


def test_a_hub_server_error_says_retry_later():
    """huggingface_hub retries a 5xx for minutes; what it raises at the end still gets its fix."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    from s2h_dataset.hubnet import explain

    request = httpx2.Request("HEAD", "https://huggingface.co/datasets/x/y/resolve/main/README.md")
    try:
        try:
            raise HfHubHTTPError("503 Server Error", response=httpx2.Response(503, request=request))
        except HfHubHTTPError as server_error:
            raise LocalEntryNotFoundError(
                "cannot find the requested files in the local cache"
            ) from server_error
    except LocalEntryNotFoundError as err:
        message = explain(err, "blink: cannot load x/y", "pass --dataset-path blink=LOCAL_COPY")
    assert message == (
        "blink: cannot load x/y: cannot find the requested files in the local cache; the Hub answered with a "
        "server error: retry later (status.huggingface.co), or pass --dataset-path blink=LOCAL_COPY"
    )
