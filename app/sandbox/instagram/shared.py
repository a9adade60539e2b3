"""What every module of the Instagram package uses.

* ``bp``, the one blueprint all Instagram routes are registered on. It lives here, next to
  :class:`GraphError`, because Flask error handlers are per blueprint: a route answers ``GraphError`` with
  Meta's envelope only when it sits on the blueprint that registered the handler.
* The Graph API error envelope (``{"error": {"message", "type", "code", "error_subcode", "is_transient",
  "fbtrace_id"}}``), the answer to unknown ``graph.instagram.com`` paths and the "session has expired"
  message (raised by the token check and by injected ``token_expired`` faults).
* ``PRODUCT`` (world post kind -> Graph ``media_type`` and ``media_product_type``) and ``page_url`` (the
  sandbox's own ``paging`` URLs), which both the data API and the insights use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from ..common import json_response, state
from ..util import utc

bp = Blueprint("sandbox_instagram", __name__)


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        type_: str = "OAuthException",
        status: int = 400,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.subcode, self.type, self.status = message, code, subcode, type_, status
        self.transient = transient


def graph_error_response(err: GraphError) -> Response:
    body: dict[str, Any] = {"message": err.message, "type": err.type, "code": err.code}
    if err.subcode is not None:
        body["error_subcode"] = err.subcode
    if err.transient is not None:
        body["is_transient"] = err.transient
    body["fbtrace_id"] = state().trace_id("meta")
    return json_response({"error": body}, err.status)


@bp.errorhandler(GraphError)
def _graph_error(err: GraphError) -> Response:
    return graph_error_response(err)


def unknown_path() -> Response:
    with state().lock:
        return graph_error_response(GraphError(f"Unknown path components: {request.path.split('.com', 1)[-1]}", 2500))


def expired_message(expired_at: datetime, now: datetime) -> str:
    fmt = "%A, %d-%b-%y %H:%M:%S UTC"
    return (
        f"Error validating access token: Session has expired on {utc(expired_at).strftime(fmt)}. "
        f"The current time is {utc(now).strftime(fmt)}."
    )


PRODUCT = {"image": ("IMAGE", "FEED"), "carousel": ("CAROUSEL_ALBUM", "FEED"), "reel": ("VIDEO", "REELS")}


def page_url(params: dict[str, str]) -> str:
    return request.base_url + "?" + urlencode(params)


def split_fields(raw: str | None) -> list[str]:
    """Split a Graph ``fields`` value on top-level commas (keeps ``children{id}`` together)."""
    if not raw:
        return []
    out, depth, cur = [], 0, ""
    for ch in raw:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out
