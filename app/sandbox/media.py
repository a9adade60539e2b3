"""The platforms' media hosts: a small deterministic PNG for every thumbnail URL the APIs hand out.

* ``i.ytimg.com/vi/<video id>/<size>.jpg`` (YouTube ``snippet.thumbnails``),
* ``scontent.cdninstagram.com/v/t51.2885-15/<media id>_thumb.jpg`` and ``..._n.jpg`` (Instagram
  ``thumbnail_url`` / ``media_url``),
* ``p16-sign.tiktokcdn-us.com/obj/<...>/<video id>~tplv-noop.image?x-expires=..`` (TikTok
  ``cover_image_url``; 403 once ``x-expires`` is past on the sandbox clock, like the signed CDN URLs).

The picture depends only on the path's key (a colour gradient from its hash, 96x54, ~1 KB), so the same
URL always gives the same bytes. Media calls are not platform API calls: no quota, no entry in the call
log, no API faults. Their own faults (``POST /_sandbox/media-faults``) play a hostile or broken CDN:
``huge`` (an endless PNG-looking body), ``slow`` (answers after ``seconds``), ``redirect`` (302 to
``location``, by default the cloud metadata address), ``html`` (a ``text/html`` page), ``bad_magic``
(``image/jpeg`` whose bytes are SVG markup) and ``not_found``.
"""

from __future__ import annotations

import hashlib
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request

from .common import control_error, json_response, redirect_to, state

bp = Blueprint("sandbox_media", __name__)

MEDIA_HOSTS = ("i.ytimg.com", "scontent.cdninstagram.com", "p16-sign.tiktokcdn-us.com")
MEDIA_FAULT_KINDS = ("huge", "slow", "redirect", "html", "bad_magic", "not_found")
PRIVATE_LOCATION = "http://169.254.169.254/latest/meta-data/"
WIDTH, HEIGHT = 96, 54


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_for(key: str, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A deterministic RGB PNG for ``key``: a diagonal gradient between two colours from its hash."""
    digest = hashlib.sha256(key.encode()).digest()
    a, b = digest[:3], digest[3:6]
    rows = bytearray()
    span = max(1, width + height - 2)
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            t = (x + y) / span
            rows.extend(int(a[i] + (b[i] - a[i]) * t) for i in range(3))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _image(key: str) -> Response:
    resp = Response(png_for(key), mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


def _take_fault(path: str) -> dict[str, Any] | None:
    st = state()
    with st.lock:
        for fault in st.media_faults:
            if fault["times"] == 0:
                continue
            needle = fault.get("path_contains")
            if needle and needle not in path:
                continue
            if fault["times"] > 0:
                fault["times"] -= 1
            return dict(fault)
    return None


def _huge(size: int) -> Iterator[bytes]:
    yield b"\x89PNG\r\n\x1a\n"
    block = b"\0" * 65536
    sent = 8
    while sent < size:
        part = block[: min(len(block), size - sent)]
        sent += len(part)
        yield part


def _serve(key: str) -> Response:
    fault = _take_fault(request.path)
    if fault is None:
        return _image(key)
    kind = fault["kind"]
    if kind == "slow":
        time.sleep(float(fault.get("seconds", state().cfg["FAULT_TIMEOUT_SECONDS"])))
        return _image(key)
    if kind == "huge":
        return Response(_huge(int(fault.get("size", 4 * 1024 * 1024))), mimetype="image/png")
    if kind == "redirect":
        return redirect_to(str(fault.get("location") or PRIVATE_LOCATION))
    if kind == "html":
        return Response("<!doctype html><title>Not an image</title><p>hello", mimetype="text/html")
    if kind == "bad_magic":
        svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        return Response(svg, mimetype="image/jpeg")
    return Response("Not Found", status=404, mimetype="text/plain")


@bp.get("/i.ytimg.com/vi/<video_id>/<name>")
def youtube_thumbnail(video_id: str, name: str) -> Response:
    return _serve(f"youtube:{video_id}")


@bp.get("/scontent.cdninstagram.com/v/t51.2885-15/<name>")
def instagram_media(name: str) -> Response:
    media_id = name.split("_", 1)[0]
    return _serve(f"instagram:{media_id}")


@bp.get("/scontent.xx.fbcdn.net/v/t39.30808-6/<name>")
def facebook_media(name: str) -> Response:
    return _serve(f"facebook:{name.split('_n.', 1)[0]}")


@bp.get("/p16-sign.tiktokcdn-us.com/obj/<path:rest>")
def tiktok_cover(rest: str) -> Response:
    expires = request.args.get("x-expires", "")
    if not expires.isdigit() or int(expires) < int(state().now().timestamp()):
        return Response("Access Denied", status=403, mimetype="text/plain")
    video_id = rest.rsplit("/", 1)[-1].split("~", 1)[0]
    return _serve(f"tiktok:{video_id}")


# ----------------------------------------------------------------- control: /_sandbox/media-faults


@bp.post("/_sandbox/media-faults")
def add_media_fault() -> Response:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return control_error(400, "invalid_request", "body must be a JSON object")
    unknown = set(data) - {"kind", "path_contains", "times", "seconds", "location", "size"}
    if unknown:
        return control_error(400, "invalid_request", f"unknown keys: {', '.join(sorted(unknown))}")
    if data.get("kind") not in MEDIA_FAULT_KINDS:
        return control_error(400, "invalid_request", f"kind must be one of {', '.join(MEDIA_FAULT_KINDS)}")
    fault: dict[str, Any] = {"kind": data["kind"], "times": 1}
    try:
        if "times" in data:
            fault["times"] = int(data["times"])
            if fault["times"] == 0 or fault["times"] < -1:
                raise ValueError
        if data.get("seconds") is not None:
            fault["seconds"] = max(0.0, float(data["seconds"]))
        if data.get("size") is not None:
            fault["size"] = max(1, min(64 * 1024 * 1024, int(data["size"])))
    except (TypeError, ValueError):
        return control_error(400, "invalid_request", "times (>= 1 or -1), seconds and size must be numbers")
    for key in ("path_contains", "location"):
        if data.get(key) is not None:
            if not isinstance(data[key], str) or not data[key]:
                return control_error(400, "invalid_request", f"{key} must be a non-empty string")
            fault[key] = data[key]
    st = state()
    with st.lock:
        fault["id"] = st.next("media_fault")
        st.media_faults.append(fault)
    return json_response(fault, 201)


@bp.get("/_sandbox/media-faults")
def list_media_faults() -> Response:
    st = state()
    with st.lock:
        return json_response({"faults": [f for f in st.media_faults if f["times"] != 0]})


@bp.delete("/_sandbox/media-faults")
def clear_media_faults() -> Response:
    st = state()
    with st.lock:
        st.media_faults.clear()
    return json_response({"faults": []})
