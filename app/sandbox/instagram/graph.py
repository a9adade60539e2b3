"""The Graph data API on ``graph.instagram.com``: routing, the IGUser and IGMedia nodes, the media edge.

One route takes every ``graph.instagram.com/[vXX.X/]<node>[/<edge>]`` path and walks Graph's ladder: API
version (an old or unknown version resolves or fails like Meta's), method, access token, throttle, scope,
then the node (``me`` / the user id, or a media id) and the edge (``media``, ``insights``, ``children``,
``stories``, ``comments``). Field selection (``fields=``), the IGUser and IGMedia field getters and the
cursor paging of ``/me/media`` are here; the ``insights`` edges are answered by :mod:`.insights`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Response, g, request

from ..common import json_response, state
from ..util import iso_meta, unit
from ..world import Account, Post
from .comments import comment_call, media_comments
from .insights import media_insights, user_insights
from .oauth import BASIC, INSIGHTS, check_token, token_value
from .shared import PRODUCT, GraphError, bp, page_url, split_fields
from .stories import find_story, stories_edge, story_insights, story_node
from .subscriptions import account_subscribed_apps
from .usage import throttle

USER_FIELDS = (
    "id",
    "user_id",
    "username",
    "name",
    "account_type",
    "profile_picture_url",
    "followers_count",
    "follows_count",
    "media_count",
    "biography",
    "website",
)
MEDIA_FIELDS = (
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "permalink",
    "shortcode",
    "thumbnail_url",
    "timestamp",
    "username",
    "like_count",
    "comments_count",
    "is_comment_enabled",
    "owner",
    "children",
    "alt_text",
    "is_shared_to_feed",
)
EXTRA_MEDIA_FIELDS = ("view_count", "saved_count", "shares_count", "reposts_count")


VERSION_RE = re.compile(r"^v\d+\.\d+$")


def _resolve_version(version: str) -> str:
    st = state()
    versions: dict[str, str | None] = st.cfg["META_VERSIONS"]
    known = sorted(versions, key=lambda v: float(v[1:]))
    today = st.today()

    def alive(v: str) -> bool:
        exp = versions[v]
        return exp is None or date.fromisoformat(exp) >= today

    number = float(version[1:])
    if number > float(known[-1][1:]):
        raise GraphError(f"Unknown path components: /{version}", 2500)
    candidates = [v for v in known if float(v[1:]) >= number and alive(v)]
    if not candidates:
        raise GraphError(f"Unknown path components: /{version}", 2500)
    return candidates[0]


def _default_version() -> str:
    st = state()
    versions: dict[str, str | None] = st.cfg["META_VERSIONS"]
    return _resolve_version(sorted(versions, key=lambda v: float(v[1:]))[0])


@bp.route("/graph.instagram.com/<path:rest>", methods=["GET", "POST", "DELETE"])
def graph(rest: str) -> Response:  # noqa: C901 - Graph's routing ladder
    st = state()
    parts = [p for p in rest.split("/") if p]
    with st.lock:
        if parts and VERSION_RE.match(parts[0]):
            g.meta_version = _resolve_version(parts[0])
            parts = parts[1:]
        else:
            g.meta_version = _default_version()
        if not parts or len(parts) > 2:
            raise GraphError(f"Unknown path components: /{rest}", 2500)
        comment = st.comments.get(parts[0])
        writable = (
            comment is not None
            or (len(parts) == 2 and parts[1] == "comments" and request.method == "POST")
            or (len(parts) == 2 and parts[1] == "subscribed_apps")
        )
        if request.method != "GET" and not writable:
            raise GraphError(
                "Unsupported post request. Object does not support this operation.",
                100,
                33,
                "GraphMethodException",
            )
        tok = check_token(token_value())
        acc = st.accounts.get(tok.account_id)
        if acc is None:
            raise GraphError("Error validating access token: The user has not authorized application.", 190, 458)
        g.meta_account = acc
        throttle(tok, acc)
        node, edge = parts[0], (parts[1] if len(parts) > 1 else None)
        if comment is not None and comment.account_id == acc.id:
            if BASIC not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            return json_response(comment_call(acc, tok, comment, edge))
        if node in ("me", acc.platform_user_id, acc.scoped_id):
            if BASIC not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            if edge is None:
                return json_response(user_node(acc, split_fields(request.args.get("fields"))))
            if edge == "media":
                return json_response(media_edge(acc))
            if edge == "stories":
                return json_response(stories_edge(acc))
            if edge == "subscribed_apps":
                return json_response(account_subscribed_apps(acc))
            if edge == "insights":
                if INSIGHTS not in tok.scopes:
                    raise GraphError("(#10) Application does not have permission for this action", 10)
                return json_response(user_insights(acc))
            raise GraphError(f"Unknown path components: /{edge}", 2500)
        story = find_story(acc, node)
        if story is not None:
            if edge is None:
                return json_response(story_node(acc, story, split_fields(request.args.get("fields"))))
            if edge != "insights":
                raise GraphError(f"Unknown path components: /{edge}", 2500)
            if INSIGHTS not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            return json_response(story_insights(story))
        post = acc.find_post(node, st.now())
        if post is None:
            raise GraphError(
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded "
                "due to missing permissions, or does not support this operation. Please read the "
                "Graph API documentation at https://developers.facebook.com/docs/graph-api",
                100,
                33,
                "GraphMethodException",
            )
        if BASIC not in tok.scopes:
            raise GraphError("(#10) Application does not have permission for this action", 10)
        if edge is None:
            return json_response(media_node(acc, post, split_fields(request.args.get("fields"))))
        if edge == "insights":
            if INSIGHTS not in tok.scopes:
                raise GraphError("(#10) Application does not have permission for this action", 10)
            return json_response(media_insights(post))
        if edge == "children":
            return json_response({"data": [{"id": cid} for cid in _children(post)]})
        if edge == "comments":
            return json_response(media_comments(acc, post, tok))
        raise GraphError(f"Unknown path components: /{edge}", 2500)


def user_node(acc: Account, fields: list[str]) -> dict[str, Any]:
    now = state().now()
    getters: dict[str, Any] = {
        "id": lambda: acc.scoped_id,
        "user_id": lambda: acc.platform_user_id,
        "username": lambda: acc.username,
        "name": lambda: acc.display_name,
        "account_type": lambda: acc.account_type,
        "profile_picture_url": lambda: f"https://scontent.cdninstagram.com/v/t51.2885-19/{acc.platform_user_id}_n.jpg",
        "followers_count": lambda: acc.followers_on(now.date()),
        "follows_count": lambda: acc.following,
        "media_count": lambda: len(acc.posts_at(now)),
        "biography": lambda: acc.bio,
        "website": lambda: f"https://example.com/{acc.username}",
    }
    out: dict[str, Any] = {}
    for f in fields or ["id"]:
        if f not in getters:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({f}) on node type (IGUser)", 100)
        out[f] = getters[f]()
    out.setdefault("id", acc.scoped_id)
    return out


def _children(post: Post) -> list[str]:
    if post.kind != "carousel":
        return []
    n = 2 + int(unit(post.id, "children") * 5)
    return [str(int(post.id) + i + 1) for i in range(n)]


def media_node(acc: Account, post: Post, fields: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    allowed = MEDIA_FIELDS + (EXTRA_MEDIA_FIELDS if st.cfg["IG_MEDIA_EXTRA_COUNT_FIELDS"] else ())
    media_type, product = PRODUCT[post.kind]
    cdn = "https://scontent.cdninstagram.com/v/t51.2885-15"
    kids = _children(post)
    getters: dict[str, Any] = {
        "id": lambda: post.id,
        "caption": lambda: post.caption or None,
        "media_type": lambda: media_type,
        "media_product_type": lambda: product,
        "media_url": lambda: f"{cdn}/{post.id}_n.{'mp4' if media_type == 'VIDEO' else 'jpg'}",
        "permalink": lambda: f"https://www.instagram.com/{'reel' if product == 'REELS' else 'p'}/{post.shortcode}/",
        "shortcode": lambda: post.shortcode,
        "thumbnail_url": lambda: f"{cdn}/{post.id}_thumb.jpg" if media_type == "VIDEO" else None,
        "timestamp": lambda: iso_meta(post.published_at),
        "username": lambda: acc.username,
        "like_count": lambda: post.count("likes", now),
        "comments_count": lambda: post.count("comments", now),
        "is_comment_enabled": lambda: post.id not in st.comments_off,
        "owner": lambda: {"id": acc.platform_user_id},
        "children": lambda: {"data": [{"id": c} for c in kids]} if kids else None,
        "alt_text": lambda: None,
        "is_shared_to_feed": lambda: True if product == "REELS" else None,
        "view_count": lambda: post.count("views", now),
        "saved_count": lambda: post.count("saves", now),
        "shares_count": lambda: post.count("shares", now),
        "reposts_count": lambda: post.count("reposts", now),
    }
    out: dict[str, Any] = {}
    for f in fields or ["id"]:
        name = f.split("{", 1)[0]
        if name not in allowed:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type (IGMedia)", 100)
        value = getters[name]()
        if value is not None:
            out[name] = value
    return out


def _cursor(post_id: str) -> str:
    import base64

    return base64.b64encode(f"QVFI{post_id}".encode()).decode().rstrip("=")


def _decode_cursor(value: str) -> str | None:
    import base64
    import binascii

    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return raw[4:] if raw.startswith("QVFI") and raw[4:].isdigit() else None


def media_edge(acc: Account) -> dict[str, Any]:
    st = state()
    now = st.now()
    fields = split_fields(request.args.get("fields"))
    posts = acc.posts_at(now)
    limit_raw = request.args.get("limit", "25")
    try:
        limit = int(limit_raw)
    except ValueError as exc:
        raise GraphError("(#100) Param limit must be an integer", 100) from exc
    limit = max(1, min(limit, 100))
    ids = [p.id for p in posts]
    after, before = request.args.get("after"), request.args.get("before")
    start, end = 0, min(limit, len(posts))
    if after:
        pid = _decode_cursor(after)
        if pid is None or pid not in ids:
            raise GraphError("(#100) The after cursor is not valid", 100)
        start = ids.index(pid) + 1
        end = min(start + limit, len(posts))
    elif before:
        pid = _decode_cursor(before)
        if pid is None or pid not in ids:
            raise GraphError("(#100) The before cursor is not valid", 100)
        end = ids.index(pid)
        start = max(0, end - limit)
    page = posts[start:end]
    data = [media_node(acc, p, fields) for p in page]
    out: dict[str, Any] = {"data": data}
    if page:
        base = {k: v for k, v in request.args.items() if k not in ("after", "before")}
        paging: dict[str, Any] = {"cursors": {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}}
        if end < len(posts):
            paging["next"] = page_url({**base, "limit": str(limit), "after": _cursor(page[-1].id)})
        if start > 0:
            paging["previous"] = page_url({**base, "limit": str(limit), "before": _cursor(page[0].id)})
        out["paging"] = paging
    return out
