"""Scripted OpenAI-compatible endpoints for the client tests (and the engine bench): a handler base that answers JSON, and a server
running it on a free local port for the length of a `with` block."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["CountingCaptions", "JSONHandler", "running"]


class JSONHandler(BaseHTTPRequestHandler):
    """`do_POST` reads `self.body()` and answers with `self.send_json(status, payload)`; no request log."""

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class CountingCaptions(JSONHandler):
    """An OpenAI-compatible captioner whose reply is a function of the request; it counts each request in
    `server.asked` (a Counter by the request body's sha256). The engine tests and `bench/bench_engine.py`."""

    def do_POST(self):
        body = self.body()
        digest = hashlib.sha256(body).hexdigest()
        with self.server.lock:
            self.server.asked[digest] += 1
        words = ["red", "small", "round", "shiny", "old", "striped"]
        word = words[int(digest[:4], 16) % 6]
        text = f"Caption: A {word} thing marked {digest[:8]}.\nPrimary object: thing"
        message = {"role": "assistant", "content": text}
        self.send_json(200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})


@contextmanager
def running(handler: type[JSONHandler], **state: Any) -> Iterator[ThreadingHTTPServer]:
    """`handler` served on 127.0.0.1 (`server.server_address[1]` is the port); `state` and a `lock` are
    attributes of the server, which the handler reads as `self.server`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.lock = threading.Lock()
    for name, value in state.items():
        setattr(server, name, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
