"""Control calls for comments (architecture.md section 6.4, sandbox control additions).

``POST /_sandbox/accounts/<id>/comments`` adds a comment (or, with ``parent_id``, a reply) by someone in the
audience; ``GET`` lists every comment and reply the platform holds, deleted ones included (``deleted``),
each with ``hidden``, ``from_owner`` and TikTok's ``liked`` / ``pinned``. ``PATCH .../comments/<comment_id>/flags``
changes one comment's state (likes, hearted, pinned, hidden). Instagram, YouTube, Facebook, TikTok and
LinkedIn accounts have comments here (LinkedIn: on a member's posts, which are also the posts of the Pages
it administers; ``author_id`` is the actor URN, ``urn:li:person:..`` by default or ``urn:li:organization:..``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from typing import Any

from flask import Response

from . import events
from .comments import Comment, author_id_of, new_comment_id
from .common import control_error, json_response, state
from .control import BadRequest, _get_account, body, bp
from .util import parse_datetime
from .world import Account

COMMENT_KEYS = {
    "post_id",
    "text",
    "author_handle",
    "author_name",
    "author_id",
    "parent_id",
    "like_count",
    "published_at",
    "liked",
    "pinned",
}
#: TikTok comments are read through the API for Business (business accounts); a personal account's are not
#: given to apps at all, but the world may still hold them
COMMENT_PLATFORMS = ("instagram", "youtube", "facebook", "tiktok", "linkedin")
#: what ``PATCH /_sandbox/accounts/<id>/comments/<comment_id>/flags`` may change
FLAG_KEYS = {"like_count", "liked", "pinned", "hidden"}


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false")
    return value


def _string(data: dict[str, Any], key: str, required: bool = False, limit: int = 10_000) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest(f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{key} must be a non-empty string of at most {limit} characters")
    return value


@bp.post("/accounts/<acc_id>/comments")
def add_comment(acc_id: str) -> Response:  # noqa: C901 - flat checks
    data = body()
    unknown = set(data) - COMMENT_KEYS
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    text = _string(data, "text", required=True)
    handle = _string(data, "author_handle", required=True, limit=100)
    name = _string(data, "author_name", limit=200)
    author_id = _string(data, "author_id", limit=100)
    like_count = data.get("like_count", 0)
    if not isinstance(like_count, int) or isinstance(like_count, bool) or like_count < 0:
        raise BadRequest("like_count must be a non-negative integer")
    liked, pinned = _flag(data, "liked"), _flag(data, "pinned")
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        if acc.platform not in COMMENT_PLATFORMS:
            raise BadRequest(f"{acc.platform} accounts have no comments in the sandbox")
        now = st.now()
        published = now
        if data.get("published_at") is not None:
            try:
                published = parse_datetime(str(data["published_at"]))
            except ValueError as exc:
                raise BadRequest("published_at must be an ISO 8601 time") from exc
        parent_id = _string(data, "parent_id", limit=200)
        parent: Comment | None = None
        if parent_id is not None:
            parent = st.comments.get(parent_id)
            if parent is None or parent.account_id != acc.id:
                return control_error(404, "not_found", f"no comment {parent_id!r} on account {acc_id!r}")
            if parent.parent_id is not None:  # one level only: attached to the top-level comment
                parent = st.comments[parent.parent_id]
        post_id = _string(data, "post_id", limit=200)
        if parent is not None:
            if post_id is not None and post_id != parent.post_id:
                raise BadRequest("post_id differs from the parent comment's post")
            post_id = parent.post_id
        elif post_id is None:
            posts = acc.posts_at(now)
            if not posts:
                raise BadRequest("the account has no post to comment on")
            post_id = max(posts, key=lambda p: p.published_at).id
        elif acc.find_post(post_id, now) is None:
            return control_error(404, "not_found", f"no post {post_id!r} on account {acc_id!r}")
        assert handle is not None
        assert text is not None
        assert post_id is not None
        n = st.next("comment")
        if author_id is None:
            author_id = author_id_of(acc, handle)
        comment = Comment(
            id=new_comment_id(acc.platform, n, parent.id if parent else None, post_id),
            account_id=acc.id,
            platform=acc.platform,
            post_id=post_id,
            text=text,
            author_handle=handle,
            author_name=name or handle,
            author_id=author_id,
            parent_id=parent.id if parent else None,
            like_count=like_count,
            published_at=published,
            updated_at=published,
            liked=bool(liked),
            pinned=bool(pinned),
        )
        st.comments[comment.id] = comment
        st.save()
        hook = webhook_delivery(acc, comment) if acc.platform == "instagram" else None
        page_hooks = events.deliveries("comment_added", acc, comment)  # a Page's ``feed`` (fb_webhooks.py)
    if hook is not None:
        send_webhook(*hook)
    for page_hook in page_hooks:
        send_webhook(*page_hook)
    return json_response({"id": comment.id}, 201)


def webhook_delivery(acc: Account, c: Comment) -> tuple[str, bytes, str] | None:
    """Instagram's ``comments`` webhook for a new comment (platforms-deep-data.md 1.5), when a receiver is set:
    (url, body, ``X-Hub-Signature-256``), signed with the Instagram app's secret."""
    st = state()
    url = st.cfg.get("IG_WEBHOOK_URL")
    if not url:
        return None
    value: dict[str, Any] = {
        "id": c.id,
        "text": c.text,
        "from": {"id": c.author_id, "username": c.author_handle},
        "media": {"id": c.post_id, "media_product_type": "FEED"},
    }
    if c.parent_id:
        value["parent_id"] = c.parent_id
    entry = {
        "id": acc.platform_user_id,
        "time": int(c.published_at.timestamp()),
        "changes": [{"field": "comments", "value": value}],
    }
    body = json.dumps({"object": "instagram", "entry": [entry]}, ensure_ascii=False).encode()
    secret = st.cfg["CLIENTS"]["instagram"][0]["client_secret"]
    return url, body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(url: str, body: bytes, signature: str) -> None:
    """Deliver once, best effort (Meta retries; the sandbox does not)."""
    import requests

    with contextlib.suppress(requests.RequestException):
        requests.post(
            url, data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature}, timeout=5
        )


@bp.put("/webhooks")
def set_webhooks() -> Response:
    """``{"instagram": url | null}``: where the Instagram comment webhooks go (sandbox extension)."""
    data = body()
    if set(data) - {"instagram"}:
        raise BadRequest("only instagram webhooks are emulated")
    url = data.get("instagram")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise BadRequest("instagram must be an http(s) URL or null")
    st = state()
    with st.lock:
        st.cfg["IG_WEBHOOK_URL"] = url
    return json_response({"instagram": url})


@bp.get("/accounts/<acc_id>/comments")
def list_comments(acc_id: str) -> Response:
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        items = sorted(
            (c for c in st.comments.of_account(acc.id) if c.account_id == acc.id), key=lambda c: (c.published_at, c.id)
        )
        return json_response({"comments": [c.control_view() for c in items]})


@bp.patch("/accounts/<acc_id>/comments")
def toggle_comments(acc_id: str) -> Response:
    """``{"post_id", "comments_enabled": bool}``: turn a post's comments off or on (sandbox extension)."""
    data = body()
    unknown = set(data) - {"post_id", "comments_enabled"}
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    enabled = data.get("comments_enabled")
    if not isinstance(enabled, bool):
        raise BadRequest("comments_enabled must be true or false")
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        post_id = _string(data, "post_id", required=True, limit=200)
        assert post_id is not None
        if acc.find_post(post_id, st.now()) is None:
            return control_error(404, "not_found", f"no post {post_id!r} on account {acc_id!r}")
        if enabled:
            st.comments_off.discard(post_id)
        else:
            st.comments_off.add(post_id)
        st.save()
        return json_response({"post_id": post_id, "comments_enabled": enabled})


@bp.patch("/accounts/<acc_id>/comments/<comment_id>/flags")
def patch_flags(acc_id: str, comment_id: str) -> Response:
    """Change one comment's state: ``like_count``, ``liked`` (hearted by the creator), ``pinned``, ``hidden``
    (sandbox extension; editing the text and removing a comment are ``PATCH`` / ``DELETE`` on the comment
    itself, ``fb_webhooks.py``, which also deliver Facebook's ``feed`` webhook)."""
    data = body()
    unknown = set(data) - FLAG_KEYS
    if unknown or not data:
        raise BadRequest(f"give some of: {', '.join(sorted(FLAG_KEYS))}")
    like_count = data.get("like_count")
    if like_count is not None and (not isinstance(like_count, int) or isinstance(like_count, bool) or like_count < 0):
        raise BadRequest("like_count must be a non-negative integer")
    flags = {k: _flag(data, k) for k in ("liked", "pinned", "hidden")}
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        c = st.comments.get(comment_id)
        if c is None or c.account_id != acc.id:
            return control_error(404, "not_found", f"no comment {comment_id!r} on account {acc_id!r}")
        if like_count is not None:
            c.like_count = like_count
        for key, value in flags.items():
            if value is not None:
                setattr(c, key, value)
        st.save()
        return json_response(c.control_view())
