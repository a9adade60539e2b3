"""One logging configuration for every process: scrubbed JSON lines on stderr, each record once (P1, P2).

Why one ``dictConfig`` with one handler, on the root logger: web (gunicorn through ``logconfig_dict`` in
``gunicorn.conf.py``, ``flask run`` through ``wsgi.py``), worker and cron (``worker.py``) used to assemble
their own handlers, and the pieces disagreed. ``create_app`` gave the ``app`` logger a JSON handler while
``worker.py``'s ``logging.basicConfig`` gave the root a plain one, so every app record was printed twice
(JSON, then plain); rq's records reached only the plain handler, unscrubbed (and with no root handler,
rq's ``setup_loghandlers`` and ``CronScheduler`` add plain handlers of their own). With the handler on the
root, records of every library (rq, gunicorn, werkzeug, urllib3) and of the app propagate to it and are
written once, through the scrubbing filter; rq and werkzeug find a handler in place and add none.

- One line per record: the JSON encoder escapes control characters, and the line breaks it leaves alone
  with ``ensure_ascii=False`` (C1 controls, U+2028, U+2029) are escaped too, so a name cannot forge a line.
- Routine records are logged at DEBUG (:class:`RoutineFilter`): an idle deployment is quiet at INFO.
- Uncaught exceptions and Python warnings go through the same handler (scrubbed JSON, not a raw traceback).
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

from flask import g, has_request_context, request

from app.security.scrub import REDACTED, ScrubbingFilter, is_sensitive_key

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# rq colours parts of its messages when stdout is a terminal; the colour codes carry nothing.
_ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# Characters str.splitlines() and some log shippers treat as line breaks that json.dumps leaves raw.
_LINE_BREAKS = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029]}


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the record's extra fields and, in a request, its id and path."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "msg": _ANSI_COLOUR.sub("", record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if has_request_context():
            data.setdefault("request_id", getattr(g, "request_id", None))
            data.setdefault("path", loggable_path())
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:  # already rendered (and scrubbed) by ScrubbingFilter
            data["exc"] = record.exc_text
        # json.dumps escapes control characters; the translation escapes the other line breaks.
        return json.dumps(data, default=str, ensure_ascii=False).translate(_LINE_BREAKS)


def loggable_path() -> str:
    """The request path with secret segments redacted: ``/invite/<token>``, ``/s/<token>`` and the like
    are capabilities, and a log line must not hand them to whoever reads the logs."""
    path = request.path
    for key, value in (request.view_args or {}).items():
        if is_sensitive_key(key) and isinstance(value, str) and value:
            path = path.replace(value, REDACTED)
    return path


# (logger name, message pattern) of records that repeat without news; logged at DEBUG.
ROUTINE: tuple[tuple[str, re.Pattern[str]], ...] = (
    # rq: maintenance every RQ_WORKER_TTL/2 seconds, once per queue
    ("rq.worker", re.compile(r"cleaning registries for queue")),
    # rq: said again by "Successfully completed ... job in ...s" right after it
    ("rq.worker", re.compile(r": Job OK \(")),
    # the cron heartbeat (app/cron.py) every minute: its enqueue, start and completion; the key it
    # writes (portal:cron:last-tick) is what says it ran
    ("rq.cron", re.compile(r"^Enqueued job cron_heartbeat ")),
    ("rq.worker", re.compile(r"\.cron_heartbeat\(\)")),
    # werkzeug's request line under `flask run`: the app writes the access line (app/web/request_id.py)
    ("werkzeug", re.compile(r'\] "[^"]*" \d{3} ')),
    # alembic lists its plugins on import, in every process that loads Flask-Migrate
    ("alembic.runtime.plugins", re.compile(r"^setup plugin ")),
)


class RoutineFilter(logging.Filter):
    """Demote :data:`ROUTINE` records from INFO to DEBUG (they stay visible with ``LOG_LEVEL=DEBUG``).

    Installed on the loggers named there: a logger's filters run before its handlers, whose level
    (``LOG_LEVEL``) then drops the demoted record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            message = None
            for name, pattern in ROUTINE:
                if record.name == name:
                    message = message if message is not None else _ANSI_COLOUR.sub("", record.getMessage())
                    if pattern.search(message):
                        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
                        break
        return True


def log_level(value: str | None = None) -> str:
    """``value`` or ``LOG_LEVEL`` from the environment (default INFO), checked: a typo fails the start."""
    level = (value or os.environ.get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"LOG_LEVEL {level!r} is not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
    return level


def logging_config(level: str | None = None) -> dict[str, Any]:
    """The one ``logging.config.dictConfig`` of web, worker and cron (a new dict each call: dictConfig
    consumes the one it is given)."""
    level = log_level(level)
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"scrub": {"()": ScrubbingFilter}, "routine": {"()": RoutineFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["scrub"],
                # the handler's level too: rq.worker and werkzeug pin their loggers at INFO
                "level": level,
            }
        },
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            "rq.worker": {"level": level},
            # its level set here, werkzeug sees a handler for it and does not add its own
            "werkzeug": {"level": level},
            # gunicorn's loggers lose their own handlers and propagate to the root's (their level is
            # gunicorn's ``loglevel``); the app writes the access line, so gunicorn's is off
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
    for name, _pattern in ROUTINE:
        config["loggers"].setdefault(name, {})["filters"] = ["routine"]
    return config


def configure_logging(level: str | None = None, *, if_unconfigured: bool = False, hooks: bool = True) -> None:
    """Apply :func:`logging_config` to this process (entry points call it before the app exists).

    With ``if_unconfigured`` a process whose root logger already has handlers keeps them: gunicorn's
    ``logconfig_dict``, ``worker.py``, or pytest's capture. With ``hooks`` (the serving processes, not
    ``create_app`` in a script) Python warnings and uncaught exceptions become records too.
    """
    if if_unconfigured and logging.getLogger().handlers:
        return
    logging.config.dictConfig(logging_config(level))
    if hooks:
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A crash is a record like any other: JSON, and scrubbed (a traceback can carry a token URL)."""
    if issubclass(kind, KeyboardInterrupt):
        logging.getLogger("app").warning("interrupted")
        return
    logging.getLogger("app").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread else "?"
    logging.getLogger("app").critical(
        "uncaught exception in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )


def make_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler like the one :func:`logging_config` puts on the root (JSON, scrubbed), on ``stream``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubbingFilter())
    return handler
