"""Reaching the Hugging Face Hub: fail fast when it cannot be reached, and explain Hub errors with a fix.

Without a network, `huggingface_hub` retries every request five times with back-off (about 25 s per file,
minutes for a benchmark of many files), logging each retry twice. `offline_if_unreachable()` checks once,
in at most a few seconds, whether the Hub endpoint answers a TCP connection; if not, it sets
`HF_HUB_OFFLINE=1` for this process (before `huggingface_hub` is imported), so cached files still work and
anything else fails at once. A set `HF_HUB_OFFLINE` (either value) is always honoured and skips the check.

`explain(err, what, local)` turns a Hub exception into one line that ends with what to do; `hub_hint(err)`
is that fix alone, or None when the error did not come from the Hub (so a caller keeps its own message).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

from .errors import UserError
from .redact import error_line

__all__ = [
    "HINTS",
    "explain",
    "hub_hint",
    "is_local",
    "offline_if_unreachable",
    "require_model",
    "route_hub_logs",
]

logger = logging.getLogger(__name__)

_CHECK_SECONDS = 3.0


def is_local(path: str | None) -> bool:
    """True for an existing path, or one written like a path (`/x`, `./x`, `~/x`, `x/y/z`), not a Hub id."""
    if not path:
        return False
    return Path(path).expanduser().exists() or path.startswith(("/", ".", "~")) or path.count("/") > 1


def require_model(value: str | None, flag: str) -> None:
    """One line when a model given as a path (`is_local`) is not an existing folder; a Hub id passes."""
    if is_local(value) and not Path(value).expanduser().is_dir():
        raise UserError(
            f"{flag} {value}: folder does not exist; pass a checkpoint folder or a Hub id like org/name"
        )


_LOCAL = "pass a local folder instead"
_OFFLINE = "HF_HUB_OFFLINE is set, so the Hub is not contacted: unset HF_HUB_OFFLINE (or set it to 0) to reach the Hub, or {local}"
_GATED = "the repo is gated: accept its conditions on its Hub page, then log in with `hf auth login` (or set HF_TOKEN)"
_NOT_FOUND = "check the repo id and its type (dataset or model), log in with `hf auth login` if it is private, or {local}"

# (key, fix) in the order they are tried; the first match wins. A key is an exception class name anywhere in
# the error's cause chain, a phrase in its text, an HTTP status, or 500 for any server error (5xx). `{local}`
# is the caller's way to use a local copy instead (`--dataset-path blink=PATH` in `s2h eval`).
HINTS: tuple[tuple[str | int, str], ...] = (
    ("OfflineModeIsEnabled", _OFFLINE),
    ("outgoing traffic has been disabled", _OFFLINE),  # transformers' wording of a cache miss when offline
    (
        "RevisionNotFoundError",
        "no such branch, tag or commit in the repo: check its revisions on the Hub page, or drop the revision",
    ),
    ("GatedRepoError", _GATED),
    ("is a gated", _GATED),  # datasets' DatasetNotFoundError for a gated repo
    (
        "Invalid credentials",
        "the Hub refuses the token: log in again with `hf auth login`, or fix or unset HF_TOKEN",
    ),
    ("RepositoryNotFoundError", _NOT_FOUND),
    ("doesn't exist on the Hub", _NOT_FOUND),  # datasets' DatasetNotFoundError for a missing repo
    (401, "log in with `hf auth login` or set HF_TOKEN to a token that can read (or write) this repo"),
    (403, "your token may not write there: use a write token, or a repo under your own user or org"),
    (404, _NOT_FOUND),
    (500, "the Hub answered with a server error: retry later (status.huggingface.co), or {local}"),
    (
        "LocalEntryNotFoundError",
        "the file is not in the local cache and the Hub gave none: check the network, or {local}",
    ),
    ("ConnectError", "the Hub cannot be reached: check the network or proxy, or set HF_HUB_OFFLINE=1"),
    ("ConnectionError", "the Hub cannot be reached: check the network or proxy, or set HF_HUB_OFFLINE=1"),
    (
        "TimeoutException",
        "the Hub timed out: retry later, or raise HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT",
    ),
    ("HFValidationError", "a Hub id looks like ORG/NAME; a local path must exist"),
)


def _endpoint() -> tuple[str, int]:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def _connects(host: str, port: int, result: list) -> None:
    try:
        with socket.create_connection((host, port), timeout=_CHECK_SECONDS):
            result.append(None)
    except OSError as err:
        result.append(err)


def offline_if_unreachable() -> bool:
    """Set `HF_HUB_OFFLINE=1` when the Hub does not answer within a few seconds; True if it did so."""
    if os.environ.get("HF_HUB_OFFLINE") is not None:
        return False
    host, port = _endpoint()
    result: list = []
    # getaddrinfo has no timeout of its own: run the whole check in a thread and wait a bounded time
    worker = threading.Thread(target=_connects, args=(host, port, result), daemon=True)
    worker.start()
    worker.join(_CHECK_SECONDS + 0.5)
    error = result[0] if result else TimeoutError(f"no answer in {_CHECK_SECONDS:g} s")
    if error is None:
        return False
    os.environ["HF_HUB_OFFLINE"] = "1"
    logger.warning(
        "the Hugging Face Hub (%s) cannot be reached (%s); working offline with cached files only "
        "(set HF_HUB_OFFLINE=0 to retry the network, HF_HUB_OFFLINE=1 to skip this check)",
        host,
        error,
    )
    return True


class _OnceThroughRoot(logging.Filter):
    """huggingface_hub prints its warnings with its own handler and again through the root logger's. This
    filter hands each record to the root handlers itself (so redaction and format apply), drops repeats of
    the retry chatter (`Retrying in 4s [Retry 3/5]`: the first one says it all), and stops the rest."""

    def __init__(self):
        super().__init__()
        self.retrying = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Retry" in message or "thrown while requesting" in message:
            if self.retrying:
                return False
            self.retrying = True
        for handler in logging.getLogger().handlers:
            if record.levelno >= handler.level:
                handler.handle(record)
        return False


def route_hub_logs() -> None:
    """Install `_OnceThroughRoot` on the `huggingface_hub` logger (once per process)."""
    hub_logger = logging.getLogger("huggingface_hub")
    if not any(isinstance(f, _OnceThroughRoot) for f in hub_logger.filters):
        hub_logger.addFilter(_OnceThroughRoot())


def _status(err: BaseException) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def hub_hint(err: BaseException, local: str = _LOCAL) -> str | None:
    """The fix for a Hub failure, or None when `err` is not one (a bad local file, a wrong argument)."""
    chain, seen = [], err
    while seen is not None and len(chain) < 6:  # the cause often holds the telling type
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    names = {cls.__name__ for e in chain for cls in type(e).__mro__}
    statuses = {_status(e) for e in chain} - {None}
    text = " ".join(str(e) for e in chain)
    for key, fix in HINTS:
        if isinstance(key, int):
            found = any(s >= 500 for s in statuses) if key == 500 else key in statuses
        else:
            found = key in names or key in text
        if found:
            return fix.format(local=local)
    return None


def explain(err: BaseException, what: str, local: str = _LOCAL) -> str:
    """One line: `what` failed, the error's first line, and the fix for its kind (`local`: how to use a
    local copy instead, in the caller's terms)."""
    first = error_line(err, default=type(err).__name__).rstrip(".")
    fix = hub_hint(err, local) or "check the id, your login (`hf auth login`) and network"
    return f"{what}: {first}; {fix}"
