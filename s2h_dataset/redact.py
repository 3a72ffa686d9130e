"""Remove credentials from text before it is shown, logged or written: one function for the card, the build
report, eval's files, error lines, training logs, the Space and every log record.

Redaction goes by structure, not by a list of names:
- a URL's userinfo, the whole of it up to the last `@` before the host (`http://user:p@ss@host/` ->
  `http://***@host/`), and every query value (`?model=m&api_key=K` -> `?model=***&api_key=***`); the
  scheme, host, path and fragment stay, so a URL still says which server was used;
- `name=value` and header-like `name: value` pairs whose name has a credential word in it (key, token,
  secret, auth, password, signature, credential, cookie: `x-api-key: K`, `?subscription-key=K` outside a
  URL, `'Authorization': 'Bearer K'`, `"client_secret": "K"`);
- tokens of known shapes wherever they stand: `sk-...`, `hf_...`, `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_...`,
  `github_pat_...`, `xox?-...`, `AKIA...`, JWTs, and `Bearer`/`Basic`/`Token` credentials.
Text is masked first and cut after (`error_line`), so a cut never leaves the start of a secret behind.
`strip_paths` (and `redact_obj(..., paths=True)`) also cut every absolute path of the machine down to its
last part, for what is published (the card, the build report): `imagefolder:/home/me/photos` -> `imagefolder:photos`.
This module imports nothing of the package, so any layer may use it.
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "HTTP_LOGGERS",
    "RedactingFilter",
    "error_line",
    "install_log_redaction",
    "redact",
    "redact_obj",
    "strip_paths",
]

MASK = "***"
# words that make a `name=value` / `name: value` pair a credential, wherever they stand in the name
SECRET_WORDS = frozenset(
    {"key", "apikey", "token", "secret", "auth", "authorization", "password", "passwd", "pwd", "passphrase"}
    | {"signature", "sig", "credential", "credentials", "cookie", "session", "sessionid"}
)
# a one-word name followed by `:` is a credential only for these (`Answer key: A` stays)
HEADER_WORDS = frozenset({"authorization", "password", "passwd", "secret", "token", "apikey", "cookie"})
# loggers that log every request URL at INFO; quiet by default (their URLs are redacted anyway)
HTTP_LOGGERS = ("httpx", "httpcore", "urllib3", "huggingface_hub.utils._http")

_URL = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<rest>[^\s'\"<>`]*)")
_PAIR = re.compile(
    r"(?P<name>\b[A-Za-z][A-Za-z0-9_.-]*)(?P<sep>['\"]?\s*(?P<op>[:=])\s*['\"]?)"
    r"(?!\*\*\*)(?P<value>(?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s'\",;&}\]]+)"
)
_TOKENS = (
    re.compile(r"(?P<keep>\b(?:Bearer|Basic|Token)\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?P<keep>\bsk-)[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?P<keep>\bhf_)[A-Za-z0-9]{16,}"),
    re.compile(r"(?P<keep>\bgh[pousr]_)[A-Za-z0-9]{16,}"),
    re.compile(r"(?P<keep>\bgithub_pat_)[A-Za-z0-9_]{16,}"),
    re.compile(r"(?P<keep>\bxox[abprs]-)[A-Za-z0-9-]{10,}"),
    re.compile(r"(?P<keep>\bAKIA)[0-9A-Z]{16}\b"),
    re.compile(r"(?P<keep>\beyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),
)


def _mask_query(query: str) -> str:
    """Every value of a query string masked, names kept (`a=1&b` -> `a=***&***`)."""
    parts = re.split(r"([&;])", query)
    for i in range(0, len(parts), 2):
        name, eq, value = parts[i].partition("=")
        if eq and value:
            parts[i] = f"{name}={MASK}"
        elif not eq and name:
            parts[i] = MASK
    return "".join(parts)


def _mask_url(match: re.Match) -> str:
    rest = match["rest"]
    end = len(rest)
    for stop in "/?#":
        at = rest.find(stop)
        if at != -1:
            end = min(end, at)
    authority, tail = rest[:end], rest[end:]
    userinfo, at, host = authority.rpartition("@")
    if at and userinfo:
        authority = f"{MASK}@{host}"
    path, hashmark, fragment = tail.partition("#")
    path, question, query = path.partition("?")
    if question:
        path += question + _mask_query(query)
    return f"{match['scheme']}{authority}{path}{hashmark}{fragment}"


def _name_words(name: str) -> list[str]:
    """`x-api-key` -> [x, api, key]; `accessToken` -> [access, token]; `API_KEY` -> [api, key]."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())


def _is_secret_name(name: str, op: str) -> bool:
    words = _name_words(name)
    if not any(word in SECRET_WORDS for word in words):
        return False
    return op == "=" or len(words) > 1 or words[0] in HEADER_WORDS


def _mask_pair(match: re.Match) -> str:
    if not _is_secret_name(match["name"], match["op"]):
        return match[0]
    return f"{match['name']}{match['sep']}{MASK}"


def redact(text: str) -> str:
    """`text` with every credential the rules above recognise replaced by `***`."""
    if not isinstance(text, str) or not text:
        return text
    text = _URL.sub(_mask_url, text)
    text = _PAIR.sub(_mask_pair, text)
    for pattern in _TOKENS:
        text = pattern.sub(rf"\g<keep>{MASK}", text)
    return text


def error_line(err: BaseException | str, limit: int | None = 200, default: str = "") -> str:
    """The first line of an error (or text), redacted, then cut to `limit` characters (None: not cut):
    masking comes before the cut, so no cut leaves the start of a secret. `default` when there is no text."""
    text = redact(str(err).strip())
    return ((text.splitlines() or [default])[0] or default)[:limit]


# an absolute POSIX path at the start of a value or after `:`, `=`, a space or a quote (so `imagefolder:/x`
# and `--out /x` match, a URL's `//host/...` does not)
_ABSOLUTE = re.compile(r"""(?:(?<=^)|(?<=[\s:=("'`]))/(?!/)[^\s:,;"'`)]*""")


def strip_paths(text: str) -> str:
    """`text` with every absolute path replaced by its last part (`/home/me/build/s2h-dpo` -> `s2h-dpo`),
    so nothing of the machine's folders (user name, home, mounts) is published."""
    return _ABSOLUTE.sub(lambda m: m.group().rstrip("/").rsplit("/", 1)[-1] or ".", text)


def redact_obj(value, paths: bool = False):
    """A copy of a JSON-like value (dicts, lists, tuples, strings) with every string redacted (and, with
    `paths`, its absolute paths cut to their last part: `strip_paths`)."""
    if isinstance(value, str):
        return strip_paths(redact(value)) if paths else redact(value)
    if isinstance(value, dict):
        return {key: redact_obj(item, paths) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_obj(item, paths) for item in value)
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
