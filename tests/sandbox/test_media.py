"""The media hosts: deterministic thumbnails at the URLs the APIs hand out, and the media faults."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.sandbox import SandboxControl, SandboxError

PNG = b"\x89PNG\r\n\x1a\n"


def get(sandbox: SandboxControl, host_and_path: str, **kwargs: object) -> requests.Response:
    return requests.get(sandbox.url(host_and_path), timeout=10, allow_redirects=False, **kwargs)  # type: ignore[arg-type]


def test_each_platform_host_serves_a_small_deterministic_png(sandbox: SandboxControl) -> None:
    expires = int(time.time()) + 3600
    paths = [
        "i.ytimg.com/vi/abc123/hqdefault.jpg",
        "scontent.cdninstagram.com/v/t51.2885-15/17900000000000001_thumb.jpg",
        f"p16-sign.tiktokcdn-us.com/obj/tos-useast5-p-0068-tx/7300000000000000001~tplv-noop.image?x-expires={expires}",
    ]
    bodies = []
    for path in paths:
        resp = get(sandbox, path)
        assert resp.status_code == 200, path
        assert resp.headers["Content-Type"] == "image/png"
        assert resp.content.startswith(PNG)
        assert 200 < len(resp.content) < 16_384
        bodies.append(resp.content)
    assert len(set(bodies)) == 3  # one picture per post
    assert get(sandbox, paths[0]).content == bodies[0]  # the same URL, the same bytes
    # the sizes of one YouTube video are the same picture key
    assert get(sandbox, "i.ytimg.com/vi/abc123/default.jpg").content == bodies[0]


def test_tiktok_cover_urls_expire_on_the_sandbox_clock(sandbox: SandboxControl) -> None:
    sandbox.set_clock(now="2026-10-15T12:00:00+00:00")
    past = 1792065600 - 60  # 2026-10-15T11:59:00Z
    resp = get(sandbox, f"p16-sign.tiktokcdn-us.com/obj/x/7300~tplv-noop.image?x-expires={past}")
    assert resp.status_code == 403
    assert get(sandbox, "p16-sign.tiktokcdn-us.com/obj/x/7300~tplv-noop.image").status_code == 403


def test_media_faults(sandbox: SandboxControl) -> None:
    path = "i.ytimg.com/vi/v1/hqdefault.jpg"
    sandbox.add_media_fault("redirect", path_contains="/v1/")
    resp = get(sandbox, path)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "http://169.254.169.254/latest/meta-data/"
    sandbox.add_media_fault("redirect", location="http://127.0.0.1:1/x.png")
    assert get(sandbox, path).headers["Location"] == "http://127.0.0.1:1/x.png"
    sandbox.add_media_fault("html")
    assert get(sandbox, path).headers["Content-Type"].startswith("text/html")
    sandbox.add_media_fault("bad_magic")
    resp = get(sandbox, path)
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert resp.content.startswith(b"<svg")
    sandbox.add_media_fault("huge", size=300_000)
    resp = get(sandbox, path)
    assert "Content-Length" not in resp.headers
    assert len(resp.content) == 300_000
    sandbox.add_media_fault("slow", seconds=0.5)
    started = time.monotonic()
    assert get(sandbox, path).status_code == 200
    assert time.monotonic() - started >= 0.5
    sandbox.add_media_fault("not_found", times=2, path_contains="/v2/")
    assert get(sandbox, "i.ytimg.com/vi/v2/default.jpg").status_code == 404
    assert get(sandbox, path).status_code == 200  # not matching: served
    assert len(sandbox._call("GET", "media-faults")["faults"]) == 1
    sandbox.clear_media_faults()
    assert get(sandbox, "i.ytimg.com/vi/v2/default.jpg").status_code == 200
    with pytest.raises(SandboxError):
        sandbox.add_media_fault("explode")


def test_media_calls_are_not_platform_calls(sandbox: SandboxControl) -> None:
    sandbox.clear_calls()
    get(sandbox, "i.ytimg.com/vi/v1/hqdefault.jpg")
    assert sandbox.calls() == []
