"""Structured, single-line log records (P2): CR/LF in values are escaped so a name cannot forge lines."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, g, has_request_context, request

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
        # json.dumps escapes control characters, so every record stays on one line.
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Send the app's records to stderr as JSON lines, with secrets scrubbed when the scrubber exists."""
    root = logging.getLogger("app")
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if not any(getattr(h, "_portal", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._portal = True  # type: ignore[attr-defined]
        try:
            from app.security.scrub import ScrubbingFilter
        except ImportError:  # pragma: no cover - the security package is always present once merged
            pass
        else:
            handler.addFilter(ScrubbingFilter())
        root.addHandler(handler)
        root.propagate = True
