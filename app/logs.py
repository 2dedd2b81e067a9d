"""The log file: where a windowed app's errors go when there is no terminal to print to.

The bundled console on Windows and macOS has no stderr, so everything worth keeping goes to a
rotating file in the user's log folder (``platformdirs``), as do Python's own fatal-error
dumps (:mod:`faulthandler`). Logs are shared with support and kept around: they must never
hold a room or resume token, nor what a participant wrote. Code logs ids and counts, never
texts; the :class:`Redact` filter is a second line for tokens inside messages we do not
write ourselves (exception texts, third-party libraries).
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import re
import sys
from pathlib import Path
from typing import TextIO

#: The log file's name in :func:`log_dir`; older logs are ``tankesmedja.log.1`` … ``.5``.
LOG_NAME = "tankesmedja.log"
#: Python's own dump on a hard crash (segfault, abort) lands here.
FAULT_NAME = "faulthandler.log"
MAX_BYTES = 2_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# A token in a join address fragment (#t=…), a query or a JSON/keyword field.
_TOKEN = re.compile(
    r"(?P<key>[#?&](?:t|token)=|(?:room_token|resume_token|resume|token)[\"']?\s*[:=]\s*[\"']?)"
    r"[A-Za-z0-9_\-]{6,}"
)

_installed: list[logging.Handler] = []
_fault_file: list[TextIO] = []


def log_dir() -> Path:
    """Return the user's log folder for Tankesmedja (platform convention)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir("tankesmedja", appauthor=False))


def redact(text: str) -> str:
    """Return ``text`` with every token it carries replaced by ``…``."""
    return _TOKEN.sub(lambda m: m.group("key") + "…", text)


class Redact(logging.Filter):
    """Replaces tokens in a record's message (and its traceback text) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; never drop it."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(*, to_file: bool = True, level: int = logging.INFO) -> Path | None:
    """Send the app's log to stderr (where there is one) and to the rotating log file.

    Safe to call again (the console reopens after switching workshops): earlier handlers are
    replaced. Returns the log file's path, or None if the log folder cannot be written (a
    read-only home): the app still runs, logging to stderr only.
    """
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    root.setLevel(level)
    # websockets logs every refused handshake at INFO; keep the facilitator's log readable.
    logging.getLogger("websockets").setLevel(logging.WARNING)

    handlers: list[logging.Handler] = []
    if sys.stderr is not None:  # a windowed bundle has none
        handlers.append(logging.StreamHandler())
    path: Path | None = None
    if to_file:
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
            )
            _enable_faulthandler(folder / FAULT_NAME)
        except OSError as exc:
            path = None
            if sys.stderr is not None:
                print(f"tankesmedja: no log file ({exc})", file=sys.stderr)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(Redact())
        root.addHandler(handler)
        _installed.append(handler)
    return path


def _enable_faulthandler(path: Path) -> None:
    # faulthandler writes with the OS's write() on a crash, so the file stays open for good.
    if _fault_file:
        return
    handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
    _fault_file.append(handle)
    faulthandler.enable(handle)
