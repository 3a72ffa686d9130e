"""A real OpenAI-compatible server for captioner tests and the captioner benchmark: `transformers serve`.

`ServedModel` runs `transformers serve MODEL_DIR` (FastAPI + uvicorn, transformers' own server) on
127.0.0.1 as a subprocess, waits for `/health`, and counts the chat completions it answered from its
uvicorn access log (one log file per start, so counts survive a restart). `kill()` is a crash (SIGKILL);
`start()` again brings it back on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["ServedModel", "free_port", "serve_tiny_vlm"]

COMPLETION_LINE = '"POST /v1/chat/completions HTTP/1.1" 200'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("transformers")
    return [str(script)] if script.exists() else [sys.executable, "-m", "transformers.cli.transformers"]


class ServedModel:
    """`transformers serve` for one local model folder; `url` is the API root, `model` the served name."""

    def __init__(
        self,
        model_dir: str | os.PathLike,
        log_dir: str | os.PathLike,
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.model = str(model_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log_dir, self.extra_args = Path(log_dir), extra_args
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 240.0) -> ServedModel:
        self.starts += 1
        command = [
            *_serve_command(),
            "serve",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--device",
            "cpu",
            "--log-level",
            "info",
            *self.extra_args,
        ]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"}
        with open(self.log_dir / f"serve-{self.starts}.log", "wb") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"transformers serve exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.kill()
        raise RuntimeError(f"transformers serve not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """Crash the server (SIGKILL to its process group) and wait for it to be gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    @property
    def requests(self) -> int:
        """Chat completions answered (status 200) over every start."""
        return sum(
            p.read_text(errors="replace").count(COMPLETION_LINE) for p in self.log_dir.glob("serve-*.log")
        )

    @property
    def requests_since_start(self) -> int:
        """Chat completions answered since the latest start."""
        return (self.log_dir / f"serve-{self.starts}.log").read_text(errors="replace").count(COMPLETION_LINE)

    def log_tail(self, chars: int = 3000) -> str:
        logs = sorted(self.log_dir.glob("serve-*.log"))
        return logs[-1].read_text(errors="replace")[-chars:] if logs else ""


def serve_tiny_vlm(tmp_path_factory, family: str = "llava"):
    """A pytest fixture body: `transformers serve` of a freshly built tiny `family` VLM, killed afterwards."""
    from transformers.utils.import_utils import is_serve_available

    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

    assert is_serve_available(), (
        "transformers serve needs fastapi, uvicorn, pydantic and openai: pip install openai"
    )
    model = build_tiny_vlm(family, tmp_path_factory.mktemp("served") / f"tiny-{family}")
    served = ServedModel(model, tmp_path_factory.mktemp("serve-logs"))
    try:
        yield served.start()
    finally:
        served.kill()
