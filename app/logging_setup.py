"""Structured, single-line log records (P2): CR/LF in values are escaped so a name cannot forge lines."""

from __future__ import annotations

import json
import logging
from typing import IO, Any

from flask import Flask, g, has_request_context, request

from app.security.scrub import ScrubbingFilter

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the record's extra fields and, in a request, its id and path."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if has_request_context():
            data.setdefault("request_id", getattr(g, "request_id", None))
            data.setdefault("path", request.path)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:  # already rendered (and scrubbed) by ScrubbingFilter
            data["exc"] = record.exc_text
        # json.dumps escapes control characters, so every record stays on one line.
        return json.dumps(data, default=str, ensure_ascii=False)


def make_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing scrubbed JSON lines (tokens, codes and secrets removed before formatting)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubbingFilter())
    return handler


def configure_logging(app: Flask) -> None:
    """Send the app's records to stderr as scrubbed JSON lines (once per process)."""
    root = logging.getLogger("app")
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if not any(getattr(h, "_portal", False) for h in root.handlers):
        handler = make_handler()
        handler._portal = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = True
