"""The platform session's own request preparation (``app.platforms.prepare``) against ``requests``' own.

Every case is prepared twice: by :class:`TimeoutSession` (its plain-call path) and by ``requests``'
``Session.prepare_request`` on the same session; the method, URL, body, headers and hooks must be
equal. Calls the plain path does not cover (cookies, auth, files, nested parameters) must fall back to
``requests`` and still come out equal. Then one real call through a live server, with a netrc file.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from app.platforms import prepare
from app.platforms.http import TimeoutSession, make_session

URL = "https://graph.instagram.com/v25.0/17841400000000000/media"

PLAIN: list[dict[str, Any]] = [
    {"method": "get", "url": URL},
    {"method": "GET", "url": URL, "params": {"fields": "id,caption,like_count", "limit": 25}},
    {"method": "GET", "url": URL + "?after=QVFI%3D&x=1", "params": {"limit": "50", "skip": None}},
    {"method": "GET", "url": URL, "params": {"metric": ["reach", "views", None], "period": ("day",)}},
    {"method": "GET", "url": URL, "params": {"q": "crème brûlée & co/é", b"raw": b"b\xc3\xa9", "on": True, "n": 1.5}},
    {"method": "GET", "url": URL, "params": {}},
    {
        "method": "GET",
        "url": URL,
        "headers": {"Accept": "application/json", "Authorization": "Bearer tok", "User-Agent": None},
    },
    {"method": "POST", "url": URL, "data": {"grant_type": "authorization_code", "code": "a b+c", "none": None}},
    {"method": "POST", "url": URL, "json": {"text": "thanks!", "nested": {"a": [1, 2]}}},
    {"method": "POST", "url": URL, "data": b"\x00raw bytes", "headers": {"Content-Type": "video/mp4"}},
    {"method": "PUT", "url": URL, "data": "a=1&b=2"},
    {"method": "DELETE", "url": "http://127.0.0.1:5001/api.x.com/2/tweets/1?x=%2F"},
    {"method": "GET", "url": "https://user:pass@example.com/path"},
    {"method": "GET", "url": URL, "hooks": {"response": [lambda r, **_: r]}},
]

NOT_PLAIN: list[dict[str, Any]] = [
    {"method": "GET", "url": URL, "cookies": {"sid": "1"}},
    {"method": "GET", "url": URL, "auth": ("user", "secret")},
    {"method": "POST", "url": URL, "files": {"f": ("a.txt", b"hello")}},
    {"method": "GET", "url": URL, "params": {"nested": {"a": 1}}},
    {"method": "GET", "url": URL, "params": [("a", "1"), ("a", "2")]},
    {"method": "GET", "url": URL, "params": "a=1&b=2"},
]


def _same(a: requests.PreparedRequest, b: requests.PreparedRequest) -> None:
    assert (a.method, a.url, a.body) == (b.method, b.url, b.body)
    assert dict(a.headers) == dict(b.headers)
    assert {k: len(v) for k, v in a.hooks.items()} == {k: len(v) for k, v in b.hooks.items()}
    jars = [getattr(a, "_cookies", None), getattr(b, "_cookies", None)]
    assert all(jar is not None for jar in jars)
    assert [len(jar or ()) for jar in jars] == [0, 0]


def _request(case: dict[str, Any]) -> requests.Request:
    kwargs = dict(case)
    # as Session.request builds it
    kwargs["method"] = kwargs["method"].upper()
    kwargs["data"] = kwargs.get("data") or {}
    kwargs["params"] = kwargs.get("params") or {}
    return requests.Request(**kwargs)


@pytest.mark.parametrize("case", PLAIN, ids=range(len(PLAIN)))
def test_plain_calls_are_prepared_as_requests_does(case: dict[str, Any]) -> None:
    session = make_session()
    ours = prepare.prepare_plain(session, _request(case))
    assert ours is not None, "a plain call must take the short path"
    _same(ours, requests.Session.prepare_request(session, _request(case)))


@pytest.mark.parametrize("case", NOT_PLAIN, ids=range(len(NOT_PLAIN)))
def test_other_calls_fall_back_to_requests(case: dict[str, Any]) -> None:
    session = make_session()
    assert prepare.prepare_plain(session, _request(case)) is None
    ours = session.prepare_request(_request(case))
    theirs = requests.Session.prepare_request(session, _request(case))
    assert (ours.method, ours.url) == (theirs.method, theirs.url)
    assert _unbound(ours) == _unbound(theirs)


def _unbound(p: requests.PreparedRequest) -> tuple[Any, dict[str, Any]]:
    """Body and headers with a multipart boundary (random per call) taken out."""
    headers = dict(p.headers)
    body = p.body
    kind = headers.get("Content-Type", "")
    if kind.startswith("multipart/form-data; boundary="):
        boundary = kind.split("=", 1)[1]
        headers["Content-Type"] = "multipart/form-data"
        body = body.replace(boundary.encode(), b"B") if isinstance(body, bytes) else body
    return body, headers


def test_session_state_sends_the_call_to_requests() -> None:
    session = make_session()
    session.cookies.set("sid", "1")
    assert prepare.prepare_plain(session, _request(PLAIN[1])) is None
    assert "sid=1" in session.prepare_request(_request(PLAIN[1])).headers["Cookie"]
    other = make_session()
    other.params = {"key": "v"}
    assert prepare.prepare_plain(other, _request(PLAIN[1])) is None
    assert "key=v" in (other.prepare_request(_request(PLAIN[1])).url or "")


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"{self.path}|{self.headers.get('Authorization')}|{self.headers.get('Cookie')}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_call_carries_netrc_credentials_as_requests_would(
    echo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login proxyuser password proxypass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setattr(prepare, "_NETRC", {})
    session: TimeoutSession = make_session()
    got = session.get(f"{echo}/me", params={"fields": "id", "empty": None})
    plain = requests.get(f"{echo}/me", params={"fields": "id", "empty": None}, timeout=5)
    assert got.status_code == 200
    assert got.text == plain.text
    path, auth, cookie = got.text.split("|")
    assert path == "/me?fields=id"
    assert auth.startswith("Basic ")
    assert cookie == "None"
    # with a header of the caller's, netrc does what it does in requests (it overrides the header)
    got = session.get(f"{echo}/me", headers={"Authorization": "Bearer tok"})
    assert got.text == requests.get(f"{echo}/me", headers={"Authorization": "Bearer tok"}, timeout=5).text
