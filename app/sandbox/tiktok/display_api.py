"""TikTok Display API v2: ``/v2/user/info/``, ``/v2/video/list/`` and ``/v2/video/query/``.

Each call checks the bearer token, the per-client, per-endpoint rate limit, the ``fields`` parameter and
the scopes the request needs, then answers in TikTok's envelope (``{"data": ..., "error": {"code": "ok",
...}}``). ``video/list`` pages by a millisecond ``cursor`` (optionally short pages, ``TIKTOK_SHORT_PAGES``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..state import Token
from ..util import hexchars
from ..world import Account, Post
from .errors import INVALID_TOKEN, TikTokError, bp

FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)


def ok(data: dict[str, Any]) -> Response:
    st = state()
    return json_response({"data": data, "error": {"code": "ok", "message": "", "log_id": st.trace_id("tiktok")}})


def _auth() -> tuple[Token, Account]:
    st = state()
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.startswith("Bearer ") else ""
    tok = st.tokens.get(value)
    if tok is None or tok.kind != "access" or tok.platform != "tiktok" or st.token_status(tok) != "ok":
        raise TikTokError("access_token_invalid", INVALID_TOKEN)
    return tok, st.accounts[tok.account_id]


def _rate_limit(tok: Token, endpoint: str) -> None:
    st = state()
    _, allowed = st.window_hit(f"tiktok|{tok.client_id}|{endpoint}", 60, int(st.cfg["TIKTOK_RATE_LIMIT_PER_MIN"]))
    if not allowed:
        raise TikTokError("rate_limit_exceeded", "You have exceeded the rate limit of this API. Please retry later.")


def _fields(allowed: tuple[str, ...] | list[str]) -> list[str]:
    raw = request.args.get("fields")
    if not raw:
        raise TikTokError("invalid_params", "The fields parameter is required.")
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise TikTokError("invalid_params", f"Invalid fields: {','.join(bad)}")
    return fields


def _json_body() -> dict[str, Any]:
    if not request.data:
        return {}
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise TikTokError("invalid_params", "The request body must be a JSON object.")
    return data


@bp.get("/open.tiktokapis.com/v2/user/info/")
def user_info() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "user/info")
        fields = _fields(list(FIELD_SCOPES))
        missing = sorted({FIELD_SCOPES[f] for f in fields} - set(tok.scopes))
        if missing:
            raise TikTokError(
                "scope_not_authorized",
                "The user did not authorize the scope required for completing this request.",
            )
        now = st.now()
        posts = acc.posts_at(now)
        avatar = f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{acc.scoped_id[:16]}~c5_168x168.jpeg"
        values: dict[str, Any] = {
            "open_id": acc.platform_user_id,
            "union_id": acc.scoped_id,
            "avatar_url": avatar,
            "avatar_url_100": avatar.replace("168x168", "100x100"),
            "avatar_large_url": avatar.replace("168x168", "1080x1080"),
            "display_name": acc.display_name,
            "bio_description": acc.bio,
            "profile_deep_link": f"https://vm.tiktok.com/{acc.scoped_id[:9]}/",
            "is_verified": acc.verified,
            "username": acc.username,
            "follower_count": acc.followers_on(now.date()),
            "following_count": acc.following,
            "likes_count": sum(p.count("likes", now) for p in posts),
            "video_count": len(posts),
        }
        return ok({"user": {f: values[f] for f in fields}})


def video_object(acc: Account, post: Post, fields: list[str]) -> dict[str, Any]:
    st = state()
    now = st.now()
    expires = int(now.timestamp()) + 6 * 3600
    values: dict[str, Any] = {
        "id": post.id,
        "create_time": int(post.published_at.timestamp()),
        "cover_image_url": f"https://p16-sign.tiktokcdn-us.com/obj/tos-useast5-p-0068-tx/{post.id}~tplv-noop.image"
        f"?x-expires={expires}&x-signature={hexchars(24, post.id, expires)}",
        "share_url": f"https://www.tiktok.com/@{acc.username}/video/{post.id}",
        "video_description": post.caption[:150],
        "duration": post.duration,
        "height": 1920,
        "width": 1080,
        "title": post.caption[:150],
        "embed_html": f'<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@{acc.username}/video/'
        f'{post.id}" data-video-id="{post.id}"></blockquote>',
        "embed_link": f"https://www.tiktok.com/player/v1/{post.id}",
        "like_count": post.count("likes", now),
        "comment_count": post.count("comments", now),
        "share_count": post.count("shares", now),
        "view_count": post.count("views", now),
    }
    return {f: values[f] for f in fields}


def _need_video_scope(tok: Token) -> None:
    if "video.list" not in tok.scopes:
        raise TikTokError(
            "scope_not_authorized",
            "The user did not authorize the scope required for completing this request.",
        )


@bp.post("/open.tiktokapis.com/v2/video/list/")
def video_list() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "video/list")
        _need_video_scope(tok)
        fields = _fields(VIDEO_FIELDS)
        body = _json_body()
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or isinstance(max_count, bool) or not 1 <= max_count <= 20:
            raise TikTokError("invalid_params", "max_count must be an integer between 1 and 20.")
        cursor = body.get("cursor")
        if cursor is not None and (not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0):
            raise TikTokError("invalid_params", "cursor must be a UTC Unix timestamp in milliseconds.")
        posts = acc.posts_at(st.now())
        if cursor is not None:
            posts = [p for p in posts if int(p.published_at.timestamp()) * 1000 < cursor]
        size = max_count
        if st.cfg["TIKTOK_SHORT_PAGES"] and len(posts) > max_count:
            size = max(1, max_count - int(posts[0].id[-1]) % 3)
        page = posts[:size]
        has_more = len(posts) > len(page)
        next_cursor = int(page[-1].published_at.timestamp()) * 1000 if page else (cursor or 0)
        return ok(
            {
                "videos": [video_object(acc, p, fields) for p in page],
                "cursor": next_cursor,
                "has_more": has_more,
            }
        )


@bp.post("/open.tiktokapis.com/v2/video/query/")
def video_query() -> Response:
    st = state()
    with st.lock:
        tok, acc = _auth()
        _rate_limit(tok, "video/query")
        _need_video_scope(tok)
        fields = _fields(VIDEO_FIELDS)
        body = _json_body()
        filters = body.get("filters")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise TikTokError("invalid_params", "filters.video_ids must be a non-empty list of video ids.")
        if len(ids) > 20:
            raise TikTokError("invalid_params", "filters.video_ids can contain at most 20 ids.")
        by_id = {p.id: p for p in acc.posts_at(st.now())}
        videos = [video_object(acc, by_id[i], fields) for i in ids if i in by_id]
        return ok({"videos": videos, "cursor": 0, "has_more": False})
