"""Credentials never reach the card, the build report, error lines or logs (one redaction step for all)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_http import JSONHandler, running

from s2h_dataset.redact import RedactingFilter, error_line, install_log_redaction, redact, redact_obj
from s2h_dataset.vlm.openai_client import api_url

KEY = "KEYd41d8cd98f00b204"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:http://user:KEY@host:8000/v1#m", "openai:http://***@host:8000/v1#m"),
        ("https://tok@api.example.com/v1", "https://***@api.example.com/v1"),
        ("https://h/v1?api_key=KEY&model=m", "https://h/v1?api_key=***&model=***"),
        ("https://h/v1?x=1&API-KEY=KEY#m", "https://h/v1?x=***&API-KEY=***#m"),
        ("https://h/v1?access_token=KEY", "https://h/v1?access_token=***"),
        ("Authorization: Bearer KEY", "Authorization: ***"),
        ("{'Authorization': 'Basic dXNlcjpLRVk='}", "{'Authorization': '***'}"),
        ('"authorization": "Bearer KEY"', '"authorization": "***"'),
        ("sent Bearer abcdefgh12345678", "sent Bearer ***"),
        ("token hf_abcdefghijklmnopqrstuvwx", "token hf_***"),
        (
            "http://localhost:8000/v1?model=m and me@example.org",
            "http://localhost:8000/v1?model=*** and me@example.org",
        ),
    ],
)
def test_redact_removes_credentials_and_keeps_the_rest(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:p@ss@host:8000/v1#m", "http://***@host:8000/v1#m"),  # `@` in the password
        ("https://h/v1?subscription-key=KEY", "https://h/v1?subscription-key=***"),
        ("https://h/v1?x-api-key=KEY&a", "https://h/v1?x-api-key=***&***"),
        ("GET /v1?Ocp-Apim-Subscription-Key=KEY HTTP/1.1", "GET /v1?Ocp-Apim-Subscription-Key=*** HTTP/1.1"),
        ("x-api-key: KEY", "x-api-key: ***"),
        ('{"clientSecret": "KEY", "n": 1}', '{"clientSecret": "***", "n": 1}'),
        ("password: KEY", "password: ***"),
        ("pushed with ghp_abcdefghijklmnop0123456789", "pushed with ghp_***"),
        ("github_pat_11ABCDEFG0_abcdefghijklmnopq", "github_pat_***"),
        ("sk-proj-abcdefghijklmnop0123", "sk-***"),
        ("Proxy-Authorization: Basic dXNlcjpLRVk=", "Proxy-Authorization: ***"),
    ],
)
def test_redact_goes_by_structure_not_by_name(text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected  # masking twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "Answer key: A",
        "max_new_tokens=128",
        "author: Bob",
        "https://huggingface.co/org/model@main",
        "me@example.org wrote: key points",
        "api_key_env OPENAI_API_KEY",
    ],
)
def test_redact_leaves_ordinary_text(text):
    assert redact(text) == text


def test_error_line_masks_before_it_cuts():
    body = "a" * 190 + " hf_abcdefghijklmnopqrstuvwx and more\nsecond line"
    line = error_line(RuntimeError(body))
    assert "hf_abcde" not in line and line.startswith("a" * 190) and len(line) <= 200
    assert (
        error_line(RuntimeError("")) == ""
        and error_line(ValueError(" "), default="ValueError") == "ValueError"
    )


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
        (
            "https://h/openai/v1?api-version=2024&api_key=K",
            "https://h/openai/v1/chat/completions?api-version=2024&api_key=K",
        ),
        ("http://u:p@h/v1?k=v", "http://u:p@h/v1/chat/completions?k=v"),
    ],
)
def test_api_url_joins_the_path_before_the_query(base, expected):
    assert api_url(base, "chat/completions") == expected


def test_redact_obj_walks_nested_values():
    value = {"captioner": "openai:http://u:KEY@h/v1#m", "source": ["emoji", "x?token=KEY"], "n": 3, "f": None}
    assert redact_obj(value) == {
        "captioner": "openai:http://***@h/v1#m",
        "source": ["emoji", "x?token=***"],
        "n": 3,
        "f": None,
    }


def test_log_filter_on_the_root_handler_redacts_every_logger(capsys):
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        install_log_redaction()
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
        logging.getLogger("s2h_dataset.some.child").warning("calling %s", f"http://u:{KEY}@h/v1")
        logging.getLogger("httpx").info("HTTP Request: POST http://u:%s@h/v1 200", KEY)  # quiet by default
        try:
            raise RuntimeError(f"Authorization: Bearer {KEY}")
        except RuntimeError:
            logging.getLogger("s2h_dataset.x").exception("failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    err = capsys.readouterr().err
    assert "calling http://***@h/v1" in err and "Authorization: ***" in err
    assert KEY not in err and "HTTP Request" not in err


class _Completions(JSONHandler):
    """An OpenAI-compatible chat endpoint: the first request gets a 503 (so a retry is logged), then replies."""

    def do_POST(self):
        body = self.body()
        with self.server.lock:
            self.server.count += 1
            status = 503 if self.server.count == 1 else 200
        payload = {
            "choices": [{"message": {"role": "assistant", "content": f"Picture {hash(body) % 10**6}."}}]
        }
        self.send_json(status, payload if status == 200 else {"error": "busy"})


@pytest.fixture
def completions():
    with running(_Completions, count=0) as server:
        yield server.server_address[1]


def _grep(folder: Path, needle: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.mark.slow
def test_key_in_captioner_url_appears_nowhere(completions, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    spec = f"openai:http://user:{KEY}@127.0.0.1:{completions}/v1#model"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TQDM_DISABLE": "1",
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    env.pop("S2H_HTTP_LOGS", None)
    command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(out), "--levels", "3"]
    command += ["--n_per_level", "16", "--no_filter", "--captioner", spec, "--caption_cache", str(cache)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = result.stdout + result.stderr
    assert "retry 1/" in logs and "http://***@127.0.0.1" in logs  # the retry was logged, redacted
    assert KEY not in logs
    assert _grep(out, KEY) == [] and _grep(cache, KEY) == []
    assert "http://***@127.0.0.1" in (out / "README.md").read_text()  # the command as run, redacted
    report = json.loads((out / "build_report.json").read_text())
    assert report["arguments"]["captioner"].startswith("openai:http://***@")
