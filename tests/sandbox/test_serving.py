"""The sandbox's keep-alive server (``app/sandbox/serving.py``): many calls on one connection, the same
answers as werkzeug's own server, and a closed connection where keeping it would be unsafe."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.sandbox.serving import make_sandbox_server
from tests.support.live import serve_wsgi
from tests.support.sandbox import SANDBOX_TEST_CONFIG, SandboxControl


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[str, str]]:
    """(keep-alive URL, werkzeug URL), each serving its own sandbox with the same config."""
    from app.sandbox import create_app

    server = make_sandbox_server(create_app(dict(SANDBOX_TEST_CONFIG)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with serve_wsgi(create_app(dict(SANDBOX_TEST_CONFIG))) as plain:
            yield f"http://127.0.0.1:{server.server_port}", plain
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _conn(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=10)


def _local_port(conn: http.client.HTTPConnection) -> int:
    assert conn.sock is not None
    return int(conn.sock.getsockname()[1])


def test_one_connection_serves_many_calls_with_bodies_read_or_not(apps: tuple[str, str]) -> None:
    url, _ = apps
    SandboxControl(url).reset()
    conn = _conn(url)
    conn.request("GET", "/_sandbox/clock")
    first = conn.getresponse()
    assert first.status == 200
    assert first.getheader("Connection") is None
    json.loads(first.read())
    port = _local_port(conn)
    # a control call whose JSON body the app reads, then a platform call whose form body it never reads
    spec = {"platform": "youtube", "username": "keep.alive", "followers": 1200, "seed": 5}
    conn.request("POST", "/_sandbox/accounts", body=json.dumps(spec), headers={"Content-Type": "application/json"})
    created = conn.getresponse()
    assert created.status in (200, 201), created.read()
    assert json.loads(created.read())["username"] == "keep.alive"
    conn.request("POST", "/www.googleapis.com/youtube/v3/nothing", body="a=" + "x" * 5000)
    missing = conn.getresponse()
    assert missing.status == 404
    missing.read()
    conn.request("GET", "/_sandbox/accounts?platform=youtube")
    listed = conn.getresponse()
    assert listed.status == 200
    assert [a["username"] for a in json.loads(listed.read())["accounts"]] == ["keep.alive"]
    assert _local_port(conn) == port  # still the first connection
    conn.close()


def test_answers_match_werkzeugs_server(apps: tuple[str, str]) -> None:
    """The same calls against both servers give the same statuses, bodies and headers (but Connection,
    Date and Server)."""
    answers: list[list[tuple[int, dict[str, str], Any]]] = []
    for url in apps:
        control = SandboxControl(url)
        control.reset()
        acc = control.create_account("youtube", "same.answers", 15_432, seed=9)
        token = control.connect("youtube", acc["id"])["access_token"]
        http = requests.Session()
        auth = {"Authorization": f"Bearer {token}"}
        calls = [
            ("GET", "/www.googleapis.com/youtube/v3/channels?part=snippet,statistics&mine=true", auth),
            ("GET", "/www.googleapis.com/youtube/v3/channels?part=statistics&mine=true", {}),
            (
                "GET",
                "/youtubeanalytics.googleapis.com/v2/reports?ids=channel==MINE&startDate=2026-09-01"
                "&endDate=2026-10-10&metrics=views,likes&dimensions=day",
                auth,
            ),
            ("POST", "/graph.instagram.com/v25.0/me", {}),
        ]
        out = []
        for method, path, headers in calls:
            resp = http.request(method, url + path, headers=headers, timeout=10)
            kept = {k: v for k, v in resp.headers.items() if k not in ("Connection", "Date", "Server")}
            out.append((resp.status_code, kept, resp.text))
        answers.append(out)
    assert answers[0] == answers[1]
    assert [status for status, _, _ in answers[0]] == [200, 401, 200, 400]


def test_closes_when_asked_or_when_the_body_end_is_unknown(apps: tuple[str, str]) -> None:
    url, _ = apps
    host, port = url.removeprefix("http://").split(":")
    cases = [
        b"GET /_sandbox/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /_sandbox/clock HTTP/1.0\r\nHost: x\r\n\r\n",
        b"PUT /_sandbox/latency HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b'Content-Type: application/json\r\n\r\n9\r\n{"ms": 0}\r\n0\r\n\r\n',
    ]
    for raw in cases:
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(raw)
            data = b""
            while chunk := sock.recv(65536):  # the server closes: recv returns b"" instead of waiting
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        assert head.split(" ")[1] == "200", head
        assert "Connection: close" in head
