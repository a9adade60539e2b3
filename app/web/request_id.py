"""The request id, and the one access line per request that carries it.

Why a request id: it ties the error page a user sees (it shows the id), the app's log records and the
access line together. A proxy or load balancer that already gave the request an id (``X-Request-ID``)
keeps it across hops; but the header is untrusted text bound for logs and a response header, so only a
short run of safe characters is honoured and anything else gets a fresh id. The id is sent back in the
response either way.

Why the app writes the access line and not the server: ``flask run`` and gunicorn then write the same
line, with the request id (gunicorn's and werkzeug's own are off, see ``app/logging_setup.py``). A
streamed response (an export, a file) is logged when the server closes it, with its whole duration; any
other at once, since werkzeug's development server skips the close when the client hangs up early.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from app.logging_setup import loggable_path

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("app.access")


def request_id_from(value: str | None) -> str:
    """The incoming id when it is 1-128 letters, digits or ``. _ : -``; a new random id otherwise."""
    if value and _SAFE.fullmatch(value):
        return value
    return uuid.uuid4().hex[:16]


def _start() -> None:
    g.request_id = request_id_from(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    if "request_id" not in g:  # a hook that ran before ours failed the request
        _start()
    response.headers[HEADER] = g.request_id
    started = g.request_started
    fields: dict[str, Any] = {
        "event": "request",
        "request_id": g.request_id,
        "method": request.method,
        "path": loggable_path(),
        "status": response.status_code,
        "remote_addr": request.remote_addr,
    }

    if response.content_length is not None:
        fields["bytes"] = response.content_length

    def write() -> None:  # holds no reference to the response: a cycle would delay closing a stream to the GC
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields)

    if response.is_streamed:
        response.call_on_close(write)
    else:
        write()
    return response


def init_app(app: Flask) -> None:
    """The id is made before any other hook runs (CSRF's included, registered with the extensions), so
    every log record of the request carries it; the access line is prepared after every other hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
