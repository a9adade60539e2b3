"""Instagram comment edges (platforms-deep-data.md section 1.2 to 1.4).

* ``GET /{media}/comments?fields=...&limit=&after=``: top-level comments, newest first, cursor paging,
  ``limit`` at most 50; ``replies.limit(n){...}`` nests the first replies.
* ``GET /{comment}/replies``, ``GET /{comment}?fields=``.
* ``POST /{comment}/replies?message=`` (top-level, not hidden), ``POST /{media}/comments?message=``,
  ``POST /{comment}?hide=true|false``, ``DELETE /{comment}``: need ``instagram_business_manage_comments``.

Without that scope the read edges still answer but withhold ``username`` and ``from`` (since 2024-08-27 a
commenter's username needs the manage-comments permission). A deleted or unknown comment is Graph's
``code 100, error_subcode 33``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask import request

from ..comments import Comment, new_comment_id, replies_of, top_level
from ..common import state
from ..state import Token
from ..util import iso_meta
from ..world import Account, Post
from .shared import GraphError, page_url, split_fields

MANAGE = "instagram_business_manage_comments"
COMMENT_FIELDS = (
    "id",
    "text",
    "timestamp",
    "username",
    "from",
    "like_count",
    "hidden",
    "parent_id",
    "replies",
    "media",
    "user",
)
DEFAULT_FIELDS = ("id", "text", "timestamp")
MAX_LIMIT = 50
_SUB = re.compile(r"^(?P<name>[a-z_]+)(?:\.limit\((?P<limit>\d+)\))?(?:\{(?P<sub>.*)\})?$")


def not_found(node: str, method: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{node}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        100,
        33,
        "IGApiException",
    )


def comment_view(c: Comment, fields: list[str], tok: Token) -> dict[str, Any]:  # noqa: C901 - one getter per field
    st = state()
    out: dict[str, Any] = {}
    for spec in fields or list(DEFAULT_FIELDS):
        m = _SUB.match(spec)
        name = m.group("name") if m else spec
        if m is None or name not in COMMENT_FIELDS:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (IGComment)", 100)
        if name in ("username", "from") and MANAGE not in tok.scopes:
            continue
        if name == "id":
            out["id"] = c.id
        elif name == "text":
            out["text"] = c.text
        elif name == "timestamp":
            out["timestamp"] = iso_meta(c.published_at)
        elif name == "username":
            out["username"] = c.author_handle
        elif name == "from":
            out["from"] = {"id": c.author_id, "username": c.author_handle}
        elif name == "like_count":
            out["like_count"] = c.like_count
        elif name == "hidden":
            out["hidden"] = c.hidden
        elif name == "parent_id" and c.parent_id:
            out["parent_id"] = c.parent_id
        elif name == "media":
            out["media"] = {"id": c.post_id}
        elif name == "user" and c.from_owner:  # only the app user's own comments (unconfirmed)
            out["user"] = {"id": st.accounts[c.account_id].platform_user_id}
        elif name == "replies" and c.parent_id is None:
            kids = replies_of(st.comments, c.id)
            limit = int(m.group("limit") or 25)
            sub = split_fields(m.group("sub") or "") or list(DEFAULT_FIELDS)
            if kids:
                out["replies"] = {"data": [comment_view(k, sub, tok) for k in kids[:limit]]}
    out.setdefault("id", c.id)
    return out


def _cursor(comment_id: str) -> str:
    return base64.b64encode(f"QVFI{comment_id}".encode()).decode().rstrip("=")


def _decode(value: str) -> str | None:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return raw[4:] if raw.startswith("QVFI") else None


def paged(items: list[Comment], tok: Token) -> dict[str, Any]:
    fields = split_fields(request.args.get("fields") or "")
    try:
        limit = int(request.args.get("limit", "25"))
    except ValueError as exc:
        raise GraphError("(#100) Param limit must be an integer", 100) from exc
    limit = max(1, min(limit, MAX_LIMIT))
    ids = [c.id for c in items]
    start = 0
    after = request.args.get("after")
    if after:
        cid = _decode(after)
        if cid is None or cid not in ids:
            raise GraphError("(#100) The after cursor is not valid", 100)
        start = ids.index(cid) + 1
    page = items[start : start + limit]
    out: dict[str, Any] = {"data": [comment_view(c, fields, tok) for c in page]}
    if page:
        paging: dict[str, Any] = {"cursors": {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}}
        if start + limit < len(items):
            base = {k: v for k, v in request.args.items() if k not in ("after", "before")}
            paging["next"] = page_url({**base, "limit": str(limit), "after": _cursor(page[-1].id)})
        out["paging"] = paging
    return out


def _need_manage(tok: Token) -> None:
    if MANAGE not in tok.scopes:
        raise GraphError("(#10) Application does not have permission for this action", 10)


def _message() -> str:
    message = request.args.get("message") or request.form.get("message") or ""
    if not message.strip():
        raise GraphError("(#100) The parameter message is required", 100)
    limit = int(state().cfg["IG_COMMENT_MAX_CHARS"])
    if len(message) > limit:
        raise GraphError(f"(#100) The comment exceeds the maximum length of {limit} characters", 100)
    return message


def _owner_comment(acc: Account, post_id: str, text: str, parent_id: str | None) -> Comment:
    st = state()
    now = st.now()
    c = Comment(
        id=new_comment_id("instagram", st.next("comment"), parent_id),
        account_id=acc.id,
        platform="instagram",
        post_id=post_id,
        text=text,
        author_handle=acc.username,
        author_name=acc.display_name,
        author_id=acc.platform_user_id,
        parent_id=parent_id,
        like_count=0,
        published_at=now,
        updated_at=now,
        from_owner=True,
    )
    st.comments[c.id] = c
    st.save()
    return c


def media_comments(acc: Account, post: Post, tok: Token) -> dict[str, Any]:
    """``/{media}/comments``: GET lists, POST comments as the owner."""
    if request.method == "POST":
        _need_manage(tok)
        return {"id": _owner_comment(acc, post.id, _message(), None).id}
    return paged(top_level(state().comments, acc.id, post.id), tok)


def comment_call(acc: Account, tok: Token, c: Comment, edge: str | None) -> dict[str, Any]:  # noqa: C901
    """Every call on a comment node: read, replies, reply, hide/unhide, delete."""
    st = state()
    method = request.method
    parent = st.comments.get(c.parent_id) if c.parent_id else None
    if not c.visible or (parent is not None and not parent.visible):
        raise not_found(c.id, method)
    if edge is None:
        if method == "GET":
            return comment_view(c, split_fields(request.args.get("fields") or ""), tok)
        _need_manage(tok)
        if method == "DELETE":
            c.deleted = True
            st.save()
            return {"success": True}
        hide = request.args.get("hide")
        if hide not in ("true", "false"):
            raise GraphError("(#100) The parameter hide is required", 100)
        if c.from_owner:
            raise GraphError("(#100) You cannot hide your own comment", 100)
        c.hidden = hide == "true"
        st.save()
        return {"success": True}
    if edge != "replies":
        raise GraphError(f"Unknown path components: /{edge}", 2500)
    if method == "GET":
        if c.parent_id is not None:
            return {"data": []}
        return paged(replies_of(st.comments, c.id), tok)
    if method != "POST":
        raise not_found(c.id, method)
    _need_manage(tok)
    text = _message()
    if c.parent_id is not None:
        raise GraphError("(#100) Replies to a reply are not supported: reply to the top-level comment", 100)
    if c.hidden:
        raise GraphError("(#100) You cannot reply to a hidden comment", 100)
    return {"id": _owner_comment(acc, c.post_id, text, c.id).id}
