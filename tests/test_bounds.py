"""Model backends are bounded: `--request-timeout` and `--max-retries` reach the client, and their ranges
are checked with the reason."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from s2h_dataset.cli import main
from s2h_dataset.configs import BuildConfig
from s2h_dataset.errors import UserError


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.count += 1
        time.sleep(3)  # longer than the test's --request-timeout

    def log_message(self, *args):
        pass


def test_a_slow_server_gives_up_after_the_flags_allow(tmp_path, capsys):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    httpd.count, httpd.daemon_threads = 0, True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        spec = f"openai:http://127.0.0.1:{httpd.server_address[1]}/v1#m"
        args = [
            "build",
            "--out",
            str(tmp_path / "out"),
            "--levels",
            "3",
            "--n-per-level",
            "16",
            "--no-filter",
        ]
        args += ["--captioner", spec, "--caption-cache", "", "--concurrency", "1"]
        start = time.perf_counter()
        assert main([*args, "--request-timeout", "0.3", "--max-retries", "1"]) == 2
        elapsed = time.perf_counter() - start
    finally:
        httpd.shutdown()
        httpd.server_close()
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "failed 2 times, last: ReadTimeout" in err, err
    assert elapsed < 60 and 2 <= httpd.count <= 4  # a try + a retry per job in flight, not 24 minutes of them


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("request_timeout", 0.0, "`--request-timeout` must be between 0.1 and 3600"),
        ("request_timeout", 86400.0, "`--request-timeout` must be between 0.1 and 3600"),
        ("max_retries", -1, "`--max-retries` must be between 0 and 100"),
        ("max_retries", 10**6, "`--max-retries` must be between 0 and 100"),
    ],
)
def test_backend_bounds_are_checked_with_a_reason(field, value, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        BuildConfig(out="x", **{field: value})
