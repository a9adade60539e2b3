"""TikTok API for Business comments (``platforms-deep-data.md`` §6, §7, §9; secondary evidence: the
``pytiktok`` client of sns-sdks/python-tiktok and the clients the reference cites).

* ``GET business/comment/list/?business_id&video_id`` with ``comment_ids`` (JSON array, at most 30),
  ``include_replies`` (the first ``NESTED`` replies of each comment in ``reply_list``), ``status``
  (``PUBLIC``: hidden comments left out; ``ALL``), ``sort_field`` (``create_time`` / ``likes`` / ``replies``),
  ``sort_order`` (``asc`` / ``desc``, default ``desc``), ``cursor`` (an offset) and ``max_count`` (1-50):
  ``data: {comments: [...], cursor, has_more}``.
* ``GET business/comment/reply/list/?...&comment_id``: the replies of one comment, oldest first by default.
* ``POST business/comment/reply/create/`` JSON ``{business_id, video_id, comment_id, text}``: a reply as the
  account (text 1-150 characters; a reply to a reply lands under its top-level comment); ``data`` is the new
  comment, which the lists show from then on.

Reading needs ``comment.list``, replying ``comment.list.manage`` (``40102`` otherwise). Errors are HTTP 200
with ``code != 0``: ``40001`` parameters (an unknown ``video_id`` / ``comment_id`` among them), ``40100``
token, ``40102`` scope, ``40105`` rate limit (HTTP 429 for the per-minute limit). The comments are the
world's (``../comments.py``), settable through ``POST/PATCH /_sandbox/accounts/<id>/comments``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from ..comments import Comment, new_comment_id, replies_of
from ..common import state
from ..util import hexchars
from ..world import Account
from .business import API, BusinessError, _auth, envelope
from .errors import bp

READ_SCOPE = "comment.list"
MANAGE_SCOPE = "comment.list.manage"
MAX_COUNT = 50
MAX_IDS = 30
NESTED = 3
MAX_CHARS = 150
SORT_FIELDS = ("create_time", "likes", "replies")


def _need(tok: Any, scope: str) -> None:
    if scope not in tok.scopes:
        raise BusinessError(40102, f"The user did not grant the scope required: {scope}")


def _video(acc: Account, video_id: str | None) -> str:
    if not video_id:
        raise BusinessError(40001, "video_id is required.")
    if acc.find_post(video_id, state().now()) is None:
        raise BusinessError(40001, f"video_id {video_id} is invalid or not owned by this account.")
    return video_id


def _int(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        raise BusinessError(40001, f"{name} must be a number.") from None
    if value < low or (high is not None and value > high):
        raise BusinessError(40001, f"{name} must be between {low} and {high}." if high else f"{name} must be >= {low}.")
    return value


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name) or default
    if value not in allowed:
        raise BusinessError(40001, f"{name} must be one of {', '.join(allowed)}.")
    return value


def comment_view(c: Comment, acc: Account, with_replies: bool = False) -> dict[str, Any]:
    st = state()
    owner = c.from_owner
    handle = acc.username if owner else c.author_handle
    expires = int(st.now().timestamp()) + 6 * 3600
    out: dict[str, Any] = {
        "comment_id": c.id,
        "video_id": c.post_id,
        "unique_identifier": acc.platform_user_id if owner else c.author_id,
        "username": handle,
        "display_name": acc.display_name if owner else c.author_name,
        "profile_image": f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{hexchars(16, handle)}.jpeg"
        f"?x-expires={expires}&x-signature={hexchars(24, handle, expires)}",
        "create_time": int(c.published_at.timestamp()),
        "text": c.text,
        "likes": c.like_count,
        "replies": len(replies_of(st.comments, c.id)) if c.parent_id is None else 0,
        "owner": owner,
        "liked": c.liked,
        "pinned": c.pinned,
        "status": "HIDDEN" if c.hidden else "PUBLIC",
        "parent_comment_id": c.parent_id,
    }
    if with_replies and c.parent_id is None:
        out["reply_list"] = [comment_view(r, acc) for r in replies_of(st.comments, c.id)[:NESTED]]
    return out


def _sorted(rows: list[Comment], default_order: str) -> list[Comment]:
    st = state()
    field = _choice("sort_field", SORT_FIELDS, "create_time")
    order = _choice("sort_order", ("asc", "desc"), default_order)

    def key(c: Comment) -> tuple[Any, ...]:
        if field == "likes":
            return (c.like_count, c.published_at, c.id)
        if field == "replies":
            return (len(replies_of(st.comments, c.id)), c.published_at, c.id)
        return (c.published_at, c.id)

    return sorted(rows, key=key, reverse=order == "desc")


def _page(rows: list[Comment], acc: Account, with_replies: bool) -> Response:
    cursor = _int("cursor", 0, 0)
    count = _int("max_count", 20, 1, MAX_COUNT)
    chunk = rows[cursor : cursor + count]
    more = cursor + len(chunk) < len(rows)
    data = {
        "comments": [comment_view(c, acc, with_replies) for c in chunk],
        "cursor": cursor + len(chunk),
        "has_more": more,
    }
    return envelope(0, "OK", data)


def _status_ok(c: Comment) -> bool:
    return (request.args.get("status") or "PUBLIC") == "ALL" or not c.hidden


@bp.get(f"{API}/business/comment/list/")
def comment_list() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth("business/comment/list")
        _need(tok, READ_SCOPE)
        video_id = _video(acc, request.args.get("video_id"))
        _choice("status", ("PUBLIC", "ALL"), "PUBLIC")
        include = request.args.get("include_replies", "false").lower()
        if include not in ("true", "false"):
            raise BusinessError(40001, "include_replies must be true or false.")
        ids: set[str] | None = None
        if request.args.get("comment_ids"):
            try:
                raw = json.loads(request.args["comment_ids"])
            except ValueError:
                raw = None
            if not isinstance(raw, list) or len(raw) > MAX_IDS:
                raise BusinessError(40001, f"comment_ids must be a JSON array of at most {MAX_IDS} ids.")
            ids = {str(i) for i in raw}
        rows = [
            c
            for c in st.comments.on_post(acc.id, video_id)  # the (account, post) index
            if c.platform == "tiktok"
            and c.account_id == acc.id
            and c.post_id == video_id
            and c.visible
            and _status_ok(c)
            and (c.parent_id is None if ids is None else c.id in ids)
        ]
        return _page(_sorted(rows, "desc"), acc, include == "true")


@bp.get(f"{API}/business/comment/reply/list/")
def reply_list() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth("business/comment/reply/list")
        _need(tok, READ_SCOPE)
        video_id = _video(acc, request.args.get("video_id"))
        _choice("status", ("PUBLIC", "ALL"), "PUBLIC")
        parent = st.comments.get(request.args.get("comment_id") or "")
        if parent is None or parent.account_id != acc.id or parent.post_id != video_id or not parent.visible:
            raise BusinessError(40001, "comment_id is invalid.")
        rows = [r for r in replies_of(st.comments, parent.id) if _status_ok(r)]
        return _page(_sorted(rows, "asc"), acc, False)


@bp.post(f"{API}/business/comment/reply/create/")
def reply_create() -> Response:
    st = state()
    with st.lock:
        data = request.get_json(silent=True, force=True) if request.data else None
        if not isinstance(data, dict):
            raise BusinessError(40001, "The request body must be a JSON object.")
        tok, acc = _auth("business/comment/reply/create", data.get("business_id") or "")
        _need(tok, MANAGE_SCOPE)
        video_id = _video(acc, str(data.get("video_id") or ""))
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BusinessError(40001, "text is required.")
        if len(text) > MAX_CHARS:
            raise BusinessError(40001, f"text must be at most {MAX_CHARS} characters.")
        target = st.comments.get(str(data.get("comment_id") or ""))
        if target is None or target.account_id != acc.id or target.post_id != video_id or not target.visible:
            raise BusinessError(40001, "comment_id is invalid.")
        parent = st.comments[target.parent_id] if target.parent_id else target  # one level deep
        now = st.now()
        reply = Comment(
            id=new_comment_id("tiktok", st.next("comment"), parent.id),
            account_id=acc.id,
            platform="tiktok",
            post_id=video_id,
            text=text,
            author_handle=acc.username,
            author_name=acc.display_name,
            author_id=acc.platform_user_id,
            parent_id=parent.id,
            like_count=0,
            published_at=now,
            updated_at=now,
            from_owner=True,
        )
        st.comments[reply.id] = reply
        st.save()
        return envelope(0, "OK", comment_view(reply, acc))
