"""P1: one scrubber for URLs, bodies, JSON, headers, mappings and log records."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from app.security.scrub import (
    REDACTED,
    ScrubbingFilter,
    install_log_scrubbing,
    scrub_exception,
    scrub_mapping,
    scrub_text,
    scrub_url,
)

CANARY = "CANARY123"


def test_instagram_refresh_url() -> None:
    url = f"https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token={CANARY}"
    out = scrub_url(url)
    assert CANARY not in out
    assert (
        out == f"https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token={REDACTED}"
    )


@pytest.mark.parametrize(
    "key",
    [
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "state",
        "signed_request",
        "fb_exchange_token",
        "token",
        "code_verifier",
        "id_token",
        "password",
        "ACCESS_TOKEN",
    ],
)
def test_every_key_in_query_form_and_json(key: str) -> None:
    assert CANARY not in scrub_text(f"https://h/p?a=1&{key}={CANARY}&b=2")
    assert CANARY not in scrub_text(f"{key}={CANARY}")
    assert CANARY not in scrub_text(f"grant_type=x&{key}={CANARY}")
    assert CANARY not in scrub_text(json.dumps({key: CANARY, "n": 1}))
    assert CANARY not in scrub_text(json.dumps({"outer": {key: CANARY}}, indent=2))
    assert CANARY not in scrub_text(repr({key: CANARY}))
    assert CANARY not in scrub_text(f"https://h/cb?next=%2Fx%3F{key}%3D{CANARY}%26y%3D1")


def test_non_secret_parameters_survive() -> None:
    text = "https://h/p?grant_type=ig_refresh_token&error_code=190&fields=id,username&token_type=bearer"
    assert scrub_text(text) == text
    body = json.dumps({"error": {"code": 190, "error_subcode": 463, "message": "expired"}})
    assert scrub_text(body) == body


def test_headers_and_bearer() -> None:
    raw = f"GET / HTTP/1.1\r\nAuthorization: Bearer {CANARY}\r\nCookie: session={CANARY}; x=1\r\nHost: h\r\n"
    out = scrub_text(raw)
    assert CANARY not in out
    assert "Host: h" in out
    assert "Authorization: [REDACTED]" in out
    assert CANARY not in scrub_text(repr({"Authorization": f"Bearer {CANARY}", "Accept": "*/*"}))
    assert CANARY not in scrub_text(f"sent with bearer {CANARY} to host")
    assert CANARY not in scrub_text(f"Set-Cookie: sid={CANARY}; HttpOnly")


def test_json_escapes_and_userinfo() -> None:
    assert CANARY not in scrub_text('{"access_token": "a\\"b' + CANARY + '"}')
    assert CANARY not in scrub_text(f"https://user:{CANARY}@host/path")


def test_scrub_mapping_deep() -> None:
    raw = {
        "data": [{"access_token": CANARY, "user_id": "17841", "permissions": "a,b"}],
        "paging": {"next": f"https://graph.instagram.com/v25.0/me/media?access_token={CANARY}&after=QV"},
        "error": {"code": 190, "message": f"bad token={CANARY}; Bearer {CANARY}"},
        "tuple": (f"code={CANARY}",),
        "Refresh_Token": CANARY,
    }
    out = scrub_mapping(raw)
    assert CANARY not in json.dumps(out)
    assert out["data"][0]["user_id"] == "17841"
    assert out["error"]["code"] == 190
    assert "after=QV" in out["paging"]["next"]
    assert raw["data"][0]["access_token"] == CANARY  # a copy, input untouched


def test_requests_http_error_message_is_scrubbable() -> None:
    """requests' raise_for_status() message embeds the full URL; scrubbing it removes the token."""
    response = requests.Response()
    response.status_code = 400
    response.reason = "Bad Request"
    response.url = f"https://graph.instagram.com/refresh_access_token?access_token={CANARY}"
    with pytest.raises(requests.HTTPError) as info:
        response.raise_for_status()
    assert CANARY in str(info.value)
    assert CANARY not in scrub_exception(info.value)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


def test_log_filter_on_a_real_logger() -> None:
    logger = logging.getLogger("tests.security.scrub")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = _Capture()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    install_log_scrubbing(logger)
    assert any(isinstance(f, ScrubbingFilter) for f in handler.filters)
    try:
        logger.info("calling %s", f"https://graph.instagram.com/me?access_token={CANARY}")
        logger.warning("headers %r", {"Authorization": f"Bearer {CANARY}"})
        logger.debug("body %s", json.dumps({"refresh_token": CANARY}))
        logger.error("plain message code=%s state=%s", CANARY, CANARY)
        try:
            raise ValueError(f"exchange failed for url https://x/token?client_secret={CANARY}")
        except ValueError:
            logger.exception("oauth error")
        logger.info("stack", stack_info=True, extra={})
        logger.info("bad format %s %s", CANARY)  # wrong arg count must not leak or crash
    finally:
        logger.removeHandler(handler)
    assert len(handler.records) == 7
    joined = "\n".join(handler.lines)
    assert CANARY not in joined
    for record in handler.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in (record.exc_text or "")
        assert record.exc_info is None
    assert "ValueError" in joined
    assert REDACTED in joined
