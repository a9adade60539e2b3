"""J6/J7: timeouts always applied, sandbox host rewriting, Retry-After parsing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from app.platforms.errors import PlatformUnavailable
from app.platforms.http import (
    PlatformHosts,
    PlatformHttp,
    TimeoutSession,
    make_session,
    parse_retry_after,
    shared_session,
)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a provider that hangs)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conns.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in conns:
            conn.close()
        srv.close()


def test_session_injects_default_timeout() -> None:
    session = make_session(2.0, 7.0)
    assert session.timeout == (2.0, 7.0)
    with pytest.raises(ValueError, match="platform HTTP timeouts must be positive"):
        TimeoutSession(0, 5)


def test_hanging_provider_aborts_at_read_timeout(silent_server: str) -> None:
    session = make_session(1.0, 0.5)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        session.get(silent_server + "/x")  # no timeout passed: the session's applies
    assert time.monotonic() - started < 3
    # an explicit timeout=None cannot switch it off either
    with pytest.raises(requests.ReadTimeout):
        session.get(silent_server + "/x", timeout=None)
    session.close()


def test_platform_http_turns_timeouts_into_typed_scrubbed_errors(silent_server: str) -> None:
    session = make_session(1.0, 0.3)
    http = PlatformHttp("instagram", session, PlatformHosts(silent_server))
    with pytest.raises(PlatformUnavailable) as info:
        http.request("GET", "https://graph.instagram.com/v25.0/me", params={"access_token": "CANARY123"})
    assert "CANARY123" not in str(info.value)
    assert "timeout" in str(info.value)
    session.close()


def test_unreachable_host_is_unavailable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    http = PlatformHttp("tiktok", make_session(1.0, 1.0), PlatformHosts(f"http://127.0.0.1:{port}"))
    with pytest.raises(PlatformUnavailable) as info:
        http.request("POST", "https://open.tiktokapis.com/v2/oauth/token/", data={"client_secret": "CANARY123"})
    assert "CANARY123" not in str(info.value)


def test_shared_session_is_one_per_process_and_timeouts() -> None:
    assert shared_session(3, 9) is shared_session(3, 9)
    assert shared_session(3, 9) is not shared_session(3, 10)


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (
            "https://graph.instagram.com/v25.0/me?fields=id",
            "http://127.0.0.1:5055/graph.instagram.com/v25.0/me?fields=id",
        ),
        (
            "https://www.tiktok.com/v2/auth/authorize/",
            "http://127.0.0.1:5055/www.tiktok.com/v2/auth/authorize/",
        ),
        ("https://oauth2.googleapis.com/token", "http://127.0.0.1:5055/oauth2.googleapis.com/token"),
        ("https://accounts.google.com", "http://127.0.0.1:5055/accounts.google.com/"),
    ],
)
def test_sandbox_rewrites_every_host(real: str, expected: str) -> None:
    assert PlatformHosts("http://127.0.0.1:5055/").url(real) == expected


def test_without_sandbox_urls_are_unchanged_and_overrides_apply() -> None:
    hosts = PlatformHosts(None, {"youtube.googleapis.com": "www.googleapis.com"})
    assert hosts.url("https://graph.instagram.com/me?a=1") == "https://graph.instagram.com/me?a=1"
    assert hosts.url("https://youtube.googleapis.com/youtube/v3/channels") == (
        "https://www.googleapis.com/youtube/v3/channels"
    )
    with_sandbox = PlatformHosts("http://sb:1", {"youtube.googleapis.com": "www.googleapis.com"})
    assert (
        with_sandbox.url("https://youtube.googleapis.com/youtube/v3/x") == "http://sb:1/www.googleapis.com/youtube/v3/x"
    )


def test_only_https_platform_urls_accepted() -> None:
    with pytest.raises(ValueError, match="not an absolute https platform URL") as info:
        PlatformHosts(None).url("http://graph.instagram.com/me?access_token=CANARY123")
    assert "CANARY123" not in str(info.value)
    with pytest.raises(ValueError, match=r"PLATFORM_SANDBOX_URL must be an http\(s\) URL"):
        PlatformHosts("ftp://x")


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after("Wed, 01 Oct 2026 11:00:00 GMT", now) == 0.0
    for bad in (None, "", "soon", "NaN"):
        assert parse_retry_after(bad) is None
