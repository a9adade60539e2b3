"""Comments on a TikTok *business* account's videos, through TikTok's API for Business
(``shared/reference/platforms-deep-data.md`` §6 and §7; secondary evidence, the Python client
``pytiktok`` 0.1.12 of sns-sdks/python-tiktok among it).

* ``GET business/comment/list/?business_id&video_id&include_replies&status&sort_field&sort_order&cursor&max_count``:
  the video's top-level comments, ``{"comments": [...], "cursor", "has_more"}``, each with ``comment_id,
  video_id, unique_identifier`` (the commenter, scoped: unconfirmed), ``username, display_name, create_time,
  text, likes, replies, owner, liked`` (hearted by the creator), ``pinned, status, parent_comment_id`` and,
  with ``include_replies=true``, the first replies in ``reply_list``.
* ``GET business/comment/reply/list/?...&comment_id``: every reply under one comment (the same shape).
* ``POST business/comment/reply/create/`` JSON ``{business_id, video_id, comment_id, text}``: a reply as the
  account; answers the new comment (``comment_id``). Text at most 150 characters (one client's limit).

Reading needs ``comment.list``; replying ``comment.list.manage`` (the portal's separate comment grant).
``max_count``: ``pytiktok`` documents 0-30, the reference reports up to 50; 30 is asked (valid under both).
Errors are HTTP 200 with ``code != 0`` (:func:`~app.platforms.tiktok_business.classify_business_error`).
No database access here, as in ``app/platforms/comments.py``, which dispatches here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.platforms.base import PageGuard, to_int
from app.platforms.comment_record import PlatformComment
from app.platforms.errors import BadResponse
from app.platforms.tiktok_business import API, TikTokBusinessAdapter

__all__ = ["MANAGE_SCOPE", "PAGE", "READ_SCOPE", "REPLY_LIMIT", "NESTED", "post_comments", "replies", "reply"]

READ_SCOPE = "comment.list"
MANAGE_SCOPE = "comment.list.manage"
#: comments asked per page (``max_count``): 30, the lower of the two documented caps
PAGE = 30
#: replies nested in each comment with ``include_replies=true`` (sandbox: 3, as ``pytiktok`` documents)
NESTED = 3
#: the longest reply TikTok takes (one client's limit, unconfirmed)
REPLY_LIMIT = 150


def _comment(raw: Mapping[str, Any], video_id: str, parent: str | None) -> PlatformComment:
    text = raw.get("text")
    if raw.get("comment_id") is None or not isinstance(text, str):
        raise BadResponse("comment without comment_id or text", platform="tiktok")
    created = to_int(raw.get("create_time"))
    if created is None or created < 0:
        raise BadResponse("comment without create_time", platform="tiktok")
    handle = raw.get("username") if isinstance(raw.get("username"), str) and raw.get("username") else None
    name = raw.get("display_name") if isinstance(raw.get("display_name"), str) and raw.get("display_name") else None
    author = raw.get("unique_identifier") or raw.get("user_id")  # ``user_id``: the deprecated name
    parent_id = raw.get("parent_comment_id") or parent
    # a top-level comment's ``parent_comment_id`` is the video id on some answers (unconfirmed): not a parent
    if parent_id is not None and str(parent_id) in (str(raw.get("video_id") or ""), video_id):
        parent_id = None
    return PlatformComment(
        platform_id=str(raw["comment_id"]),
        post_id=str(raw.get("video_id") or video_id),
        parent_id=str(parent_id) if parent_id else None,
        text=text,
        author_handle=str(handle) if handle else None,
        author_name=str(name) if name else None,
        author_id=str(author) if author else None,
        author_url=f"https://www.tiktok.com/@{handle}" if handle else None,
        published_at=datetime.fromtimestamp(created, UTC),
        updated_at=None,
        like_count=to_int(raw.get("likes")),
        reply_count=to_int(raw.get("replies")) if not parent_id else None,
        hidden=str(raw.get("status") or "PUBLIC").upper() == "HIDDEN",
        liked=raw.get("liked") is True,
        pinned=raw.get("pinned") is True,
        from_owner=raw.get("owner") is True,
    )


def _pages(adapter: TikTokBusinessAdapter, token: str, path: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every page of a comment list, by ``cursor`` while ``has_more``."""
    guard = PageGuard("tiktok")
    out: list[Mapping[str, Any]] = []
    query: dict[str, Any] = {**params, "max_count": PAGE}
    while True:
        data = adapter._get(path, token, query)
        rows = data.get("comments")
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise BadResponse("comments is not a list", platform="tiktok")
        out.extend(r for r in rows if isinstance(r, Mapping))
        cursor = to_int(data.get("cursor"))
        if not data.get("has_more") or cursor is None or not guard.next_allowed(cursor):
            return out
        query = {**params, "max_count": PAGE, "cursor": cursor}


def replies(adapter: TikTokBusinessAdapter, token: str, comment_id: str, video_id: str) -> list[PlatformComment]:
    """Every reply under one comment, oldest first (also the landing check before a retried reply)."""
    params = {"video_id": video_id, "comment_id": comment_id, "status": "ALL"}
    rows = _pages(adapter, token, "business/comment/reply/list/", params)
    out = [_comment(r, video_id, comment_id) for r in rows]
    return sorted(out, key=lambda c: (c.published_at, c.platform_id))


def post_comments(
    adapter: TikTokBusinessAdapter, token: str, video_id: str, known: Mapping[str, int]
) -> list[PlatformComment]:
    """Every comment on a video with its replies (top-level first, each followed by its replies).

    One list walk with the first ``NESTED`` replies of each comment; ``business/comment/reply/list/`` only
    for a comment with more replies than nested whose reply count changed since the last read (``known``)."""
    params = {"video_id": video_id, "include_replies": "true", "status": "ALL"}
    out: list[PlatformComment] = []
    for raw in _pages(adapter, token, "business/comment/list/", params):
        top = _comment(raw, video_id, None)
        if top.parent_id is not None:  # a reply listed at the top: it comes with its comment
            continue
        nested = [r for r in (raw.get("reply_list") or []) if isinstance(r, Mapping)]
        total = top.reply_count or 0
        if total > len(nested) and known.get(top.platform_id) != total:
            kids = replies(adapter, token, top.platform_id, video_id)
        else:
            kids = [_comment(r, video_id, top.platform_id) for r in nested]
        out.append(PlatformComment(**{**top.__dict__, "reply_count": max(total, len(kids))}))
        out.extend(kids)
    return out


def reply(adapter: TikTokBusinessAdapter, token: str, video_id: str, comment_id: str, text: str) -> str:
    """``POST business/comment/reply/create/``; returns the new reply's ``comment_id``."""
    if not adapter.business_id:
        raise BadResponse("no business_id for this connection", platform="tiktok")
    response = adapter.http.request(
        "POST",
        f"{API}/business/comment/reply/create/",
        json_body={"business_id": adapter.business_id, "video_id": video_id, "comment_id": comment_id, "text": text},
        headers={"Access-Token": token},
    )
    data = adapter._check(response)
    if data.get("comment_id") is None:
        raise BadResponse("reply answer has no comment_id", platform="tiktok")
    return str(data["comment_id"])
