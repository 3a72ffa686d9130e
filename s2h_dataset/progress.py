"""Progress bars for long work (tqdm on stderr, with rate and ETA), silenced by `--quiet` or `TQDM_DISABLE`.

Every bar names what it counts (`shard 2/6 level3/train: encode images`, unit `img`), so a number on screen
is never a bare count. `quiet()` is a context manager: the build enters it for `--quiet`; it silences the
bars and the INFO log lines (warnings and errors still show), and stdout stays free for the one summary
line a command prints at the end.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
import threading
import time
import weakref

__all__ = ["BarSafeHandler", "bar", "disabled", "end_bars", "quiet", "stage"]

_QUIET = contextvars.ContextVar("s2h_quiet", default=False)


def disabled() -> bool:
    """True under `quiet()` or when `TQDM_DISABLE` is set to anything but an empty string, 0 or false."""
    env = os.environ.get("TQDM_DISABLE", "").strip().lower()
    return _QUIET.get() or env not in ("", "0", "false", "no")


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


@contextlib.contextmanager
def quiet(on: bool = True):
    """No bars inside; with `on`, the root logger's handlers also drop records below WARNING (on the
    handlers, not a logger level: library loggers that set their own level are filtered too, and so are
    records logged from worker threads, which do not see this context)."""
    token = _QUIET.set(on or _QUIET.get())
    handlers = list(logging.getLogger().handlers) if on else []
    for handler in handlers:
        handler.addFilter(_warnings_only)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(_warnings_only)
        _QUIET.reset(token)


HEARTBEAT_S = 2.0  # a bar with no update for this long is redrawn, so its clock moves while work goes on
_OPEN: weakref.WeakSet = weakref.WeakSet()
_TICKER: list[threading.Thread] = []


def _tick() -> None:
    """Redraw every open bar not drawn for `HEARTBEAT_S`: a bar waiting for its first batch (the filter's
    encoder, a caption server) shows its elapsed time moving instead of sitting still for many seconds."""
    while True:
        time.sleep(HEARTBEAT_S / 2)
        for instance in list(_OPEN):
            if time.time() - getattr(instance, "last_print_t", time.time()) < HEARTBEAT_S:
                continue
            # under the bars' lock, and only then asking whether it is closed: `close()` marks a bar disabled
            # before it takes the lock to clear its line, so a check outside it could redraw a closed bar
            with contextlib.suppress(Exception), instance.get_lock():
                if not instance.disable:
                    instance.refresh(nolock=True)


def bar(iterable=None, *, desc: str, unit: str, total: int | None = None, leave: bool = False, **kwargs):
    """A tqdm bar (or a silent one when disabled); use as an iterator wrapper or call `.update(n)`. An open
    bar on a terminal is redrawn at least every `HEARTBEAT_S` seconds (one daemon thread for all bars)."""
    from tqdm.auto import tqdm

    off = kwargs.pop("disable", False) or disabled()
    made = tqdm(
        iterable,
        desc=desc,
        unit=unit,
        total=total,
        leave=leave,
        disable=off,
        dynamic_ncols=True,
        mininterval=0.5,
        **kwargs,
    )
    # a terminal only: a log file (`2> build.log`, a datatrove rank's log) gets no redraws of a still bar
    if not off and getattr(made.fp, "isatty", lambda: False)():
        _OPEN.add(made)
        if not _TICKER:
            _TICKER.append(threading.Thread(target=_tick, name="s2h-progress-heartbeat", daemon=True))
            _TICKER[0].start()
    return made


class BarSafeHandler(logging.StreamHandler):
    """A stderr log handler that writes each line through `tqdm.write`: open bars are cleared, the line is
    printed whole on its own line, and the bars are drawn again below it (a plain handler would append the
    line to a half-drawn bar). Unlike `tqdm.contrib.logging.logging_redirect_tqdm`, it is the handler
    itself, so its filters (log redaction, `--quiet`) stay in force."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
            self.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def end_bars() -> None:
    """Close every open bar (a bar left by an exception keeps its line), so a command's last line (its
    error or interrupt) starts a line of its own instead of running on after `...200 rows]`."""
    if "tqdm" not in sys.modules:  # no bar was ever made: nothing to close, and no import for it
        return
    from tqdm import std
    from tqdm.auto import tqdm as auto

    for cls in {std.tqdm, auto}:
        for instance in list(getattr(cls, "_instances", ())):
            instance.close()  # leave=False bars clear their line; others end it


@contextlib.contextmanager
def stage(what: str, log: logging.Logger):
    """A line when a stage without a bar starts (`blind audit: ...`) and one with its duration when it ends,
    so a build is never silent for the length of a stage (the post-write stages: blind audit, hold-back,
    card, validation)."""
    log.info("%s ...", what)
    start = time.perf_counter()
    yield
    log.info("%s: done in %.1f s", what, time.perf_counter() - start)
