"""Log lines are single-line JSON with the request id, and never carry a token (P1, P2)."""

from __future__ import annotations

import io
import json
import logging

import requests

from app.logging_setup import make_handler


def _logger(stream: io.StringIO) -> logging.Logger:
    logger = logging.getLogger(f"test.logging.{id(stream)}")
    logger.handlers = [make_handler(stream)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_exception_text_is_kept_but_scrubbed():
    stream = io.StringIO()
    log = _logger(stream)
    try:
        raise requests.HTTPError(
            "400 Client Error for url: https://graph.instagram.com/refresh_access_token"
            "?grant_type=ig_refresh_token&access_token=CANARY123"
        )
    except requests.HTTPError as exc:
        log.error("refresh failed", exc_info=exc, extra={"event": "refresh_failed"})
    out = stream.getvalue()
    assert "CANARY123" not in out
    record = json.loads(out)
    assert record["event"] == "refresh_failed" and "HTTPError" in record["exc"]


def test_newlines_in_values_stay_on_one_line(app):
    stream = io.StringIO()
    log = _logger(stream)
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "req-1"
        log.info("login failed for %s", "eve\nINFO forged line", extra={"event": "login_failure"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == "req-1" and record["path"] == "/x" and "forged line" in record["msg"]
