"""Facebook Page comments (platforms-deep-data.md §2.1-2.2).

* ``GET /{post}/comments?filter=stream|toplevel&order=chronological|reverse_chronological&fields=&limit=&after=``:
  ``stream`` lists every comment and reply (a reply has ``parent{id}``), ``toplevel`` (the default) only the
  top-level ones; ``GET /{comment}/comments`` lists a comment's replies; ``summary=true`` adds the count.
* ``POST /{comment}/comments?message=`` replies as the Page; ``POST /{comment}?is_hidden=true|false`` hides;
  ``DELETE /{comment}``. Writes need ``pages_manage_engagement`` and a Page token.

The commenter (``from{id,name}``) is Page-scoped; it is given to Page tokens (whether Meta withholds it
without the user-content permission is unconfirmed, so the sandbox does not).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from flask import request

from ..comments import Comment, new_comment_id, replies_of
from ..common import state
from ..instagram.shared import GraphError, page_url, split_fields
from ..state import Token
from ..util import iso_meta
from ..world import Account, Post
from .shared import MANAGE_ENGAGEMENT

FIELDS = (
    "id", "message", "created_time", "from", "like_count", "comment_count", "is_hidden", "parent",
    "permalink_url", "can_hide", "can_remove", "can_reply_privately", "attachment", "object",
)  # fmt: skip
DEFAULT_FIELDS = ("created_time", "from", "message", "id")
MAX_LIMIT = 100
MAX_CHARS = 8000


def _name(spec: str) -> str:
    return re.split(r"[.{(]", spec, maxsplit=1)[0]


def comment_view(c: Comment, page: Account, fields: list[str]) -> dict[str, Any]:  # noqa: C901 - a getter a field
    out: dict[str, Any] = {}
    for spec in fields or list(DEFAULT_FIELDS):
        name = _name(spec)
        if name not in FIELDS:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (Comment)", 100)
        if name == "id":
            out["id"] = c.id
        elif name == "message":
            out["message"] = c.text
        elif name == "created_time":
            out["created_time"] = iso_meta(c.published_at)
        elif name == "from":
            out["from"] = (
                {"name": page.display_name, "id": page.platform_user_id}
                if c.from_owner
                else {"name": c.author_name, "id": c.author_id}
            )
        elif name == "like_count":
            out["like_count"] = c.like_count
        elif name == "comment_count":
            out["comment_count"] = len(replies_of(state().comments, c.id)) if c.parent_id is None else 0
        elif name == "is_hidden":
            out["is_hidden"] = c.hidden
        elif name == "parent" and c.parent_id:
            out["parent"] = {"id": c.parent_id}
        elif name == "permalink_url":
            out["permalink_url"] = f"https://www.facebook.com/{page.username}/posts/{c.post_id}?comment_id={c.id}"
        elif name in ("can_hide", "can_remove", "can_reply_privately"):
            out[name] = not c.from_owner
        elif name == "object":
            out["object"] = {"id": c.post_id}
    return out


def _visible(c: Comment) -> bool:
    return c.visible and c.platform == "facebook"


def _page_of(rows: list[Comment], page: Account, limit_default: int = 25) -> dict[str, Any]:
    raw = request.args.get("limit")
    limit = max(1, min(int(raw), MAX_LIMIT)) if raw and raw.isdigit() else limit_default
    after = request.args.get("after")
    start = 0
    if after:
        try:
            start = int(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode().removeprefix("fbcm:"))
        except (ValueError, UnicodeDecodeError):
            raise GraphError("(#100) Invalid cursor", 100) from None
    chunk = rows[start : start + limit]
    fields = split_fields(request.args.get("fields"))
    body: dict[str, Any] = {"data": [comment_view(c, page, fields) for c in chunk]}

    def cursor(i: int) -> str:
        return base64.urlsafe_b64encode(f"fbcm:{i}".encode()).decode().rstrip("=")

    if chunk:
        body["paging"] = {"cursors": {"before": cursor(start), "after": cursor(start + len(chunk))}}
        if start + limit < len(rows):
            params = {k: v for k, v in request.args.items() if k not in ("after", "access_token")}
            body["paging"]["next"] = page_url({**params, "limit": str(limit), "after": cursor(start + limit)})
    if request.args.get("summary") in ("true", "1"):
        body["summary"] = {
            "order": request.args.get("order", "chronological"),
            "total_count": len(rows),
            "can_comment": True,
        }  # noqa: E501
    return body


def post_comments(post: Post, page: Account) -> dict[str, Any]:
    """``GET /{post}/comments``."""
    st = state()
    mode = request.args.get("filter", "toplevel")
    if mode not in ("toplevel", "stream"):
        raise GraphError("(#100) param filter must be one of {toplevel, stream}", 100)
    order = request.args.get("order", "chronological")
    if order not in ("chronological", "reverse_chronological", "ranked"):
        raise GraphError("(#100) param order must be one of {chronological, reverse_chronological, ranked}", 100)
    rows = [
        c
        for c in st.comments.on_post(page.id, post.id)  # the (account, post) index: no scan of every comment
        if _visible(c)
        and c.account_id == page.id
        and c.post_id == post.id
        and (mode == "stream" or c.parent_id is None)
    ]
    rows.sort(key=lambda c: (c.published_at, c.id), reverse=order == "reverse_chronological")
    return _page_of(rows, page)


def comment_replies(c: Comment, page: Account) -> dict[str, Any]:
    """``GET /{comment}/comments``: the replies, oldest first."""
    return _page_of(replies_of(state().comments, c.id), page)


def _need_write(tok: Token) -> None:
    if tok.kind != "fb_page":
        raise GraphError("(#190) This method must be called with a Page Access Token", 190)
    if MANAGE_ENGAGEMENT not in tok.scopes:
        raise GraphError("(#200) Requires pages_manage_engagement permission to manage the object", 200)


def write(c: Comment, page: Account, tok: Token, edge: str | None) -> dict[str, Any]:
    """``POST /{comment}/comments`` (reply), ``POST /{comment}?is_hidden=``, ``DELETE /{comment}``."""
    st = state()
    _need_write(tok)
    if request.method == "DELETE" and edge is None:
        c.deleted = True
        st.save()
        return {"success": True}
    if request.method == "POST" and edge is None:
        flag = request.values.get("is_hidden")
        if flag not in ("true", "false"):
            raise GraphError("(#100) param is_hidden must be a boolean", 100)
        if c.from_owner:
            raise GraphError("(#100) The Page's own comments cannot be hidden", 100)
        c.hidden = flag == "true"
        st.save()
        return {"success": True}
    if request.method == "POST" and edge == "comments":
        message = request.values.get("message") or ""
        if not message.strip():
            raise GraphError("(#100) param message must be non-empty.", 100)
        if len(message) > MAX_CHARS:
            raise GraphError(f"(#100) param message must be at most {MAX_CHARS} characters long.", 100)
        parent = st.comments[c.parent_id] if c.parent_id else c  # one level: attached to the top-level comment
        reply = Comment(
            id=new_comment_id("facebook", st.next("comment"), parent.id),
            account_id=page.id,
            platform="facebook",
            post_id=parent.post_id,
            text=message,
            author_handle=page.username,
            author_name=page.display_name,
            author_id=page.platform_user_id,
            parent_id=parent.id,
            like_count=0,
            published_at=st.now(),
            updated_at=st.now(),
            from_owner=True,
        )
        st.comments[reply.id] = reply
        st.save()
        return {"id": reply.id}
    raise GraphError(
        "Unsupported post request. Object does not support this operation.", 100, 33, "GraphMethodException"
    )
