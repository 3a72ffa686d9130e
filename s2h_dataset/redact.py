"""Remove credentials from text before it is shown, logged or written: one rule set for the card, the
build report, error lines and every log record.

What is removed: the userinfo of a URL (`http://user:KEY@host` -> `http://***@host`), the values of
credential query parameters (`?api_key=KEY` -> `?api_key=***`), `Authorization` header values
(`Authorization: Bearer KEY` -> `Authorization: ***`, also in dict/JSON reprs), bare `Bearer KEY` and
tokens of well-known shapes (`hf_...`, `sk-...`). The rest of the text is kept, so a URL still says which
server was used. This module imports nothing of the package, so any layer may use it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["HTTP_LOGGERS", "RedactingFilter", "install_log_redaction", "redact", "redact_obj"]

MASK = "***"
# query parameters whose values are credentials (case-insensitive, `-` and `_` interchangeable)
SECRET_PARAMS = (
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "auth",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "signature",
    "sig",
)
# loggers that log every request URL at INFO; quiet by default (their URLs are redacted anyway)
HTTP_LOGGERS = ("httpx", "httpcore", "urllib3", "huggingface_hub.utils._http")

_RULES: tuple[tuple[re.Pattern, str], ...] = (
    # scheme://user:password@host or scheme://token@host; the userinfo ends at the last `@` before the path
    (re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#'\"]+@"), rf"\g<scheme>{MASK}@"),
    (
        re.compile(
            r"(?P<key>[?&;](?:"
            + "|".join(p.replace("_", "[-_]?") for p in SECRET_PARAMS)
            + r")=)[^&#\s'\"]*",
            re.IGNORECASE,
        ),
        rf"\g<key>{MASK}",
    ),
    # `Authorization: Bearer X`, `'Authorization': 'Basic X'`, `authorization=X`, `Proxy-Authorization`
    (
        re.compile(r"(?P<key>authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+", re.IGNORECASE),
        rf"\g<key>{MASK}",
    ),
    (re.compile(r"(?P<key>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\g<key>{MASK}"),
    (re.compile(r"\bhf_[A-Za-z0-9]{20,}"), f"hf_{MASK}"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), f"sk-{MASK}"),
)


def redact(text: str) -> str:
    """`text` with every credential the rules above recognise replaced by `***`."""
    if not isinstance(text, str) or not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_obj(value):
    """A copy of a JSON-like value (dicts, lists, tuples, strings) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_obj(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_obj(item) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """Redacts the formatted message (and exception text) of every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: redact what is there
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(http_logs: bool = False) -> None:
    """Redact every record the root logger's handlers emit; quiet per-request HTTP logs unless `http_logs`.

    A filter on a handler sees records of every logger that propagates to it (a filter on a logger would
    see only that logger's own records), so the root handlers are where it belongs. Call it after
    `logging.basicConfig`."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if http_logs else logging.WARNING)
