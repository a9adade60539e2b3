"""LinkedIn comments: ``socialActions/{urn}/comments`` (platforms-deep-data.md §5.1).

* ``GET /rest/socialActions/{postUrn}/comments?start&count``: a post's top-level comments, newest first,
  start/count paging (``count`` at most 100, default 10) with ``paging.links`` next and ``total``.
  ``GET /rest/socialActions/{commentUrn}/comments``: the replies under one comment, oldest first.
  Each element: ``actor`` (``urn:li:person:{app-scoped id}`` or ``urn:li:organization:{id}``; no name, no
  avatar), ``commentUrn`` (``urn:li:comment:(urn:li:activity:{post},{id})``), ``id``, ``object``,
  ``message{text, attributes}``, ``created{actor, time}`` / ``lastModified{time}`` (epoch ms),
  ``likesSummary{totalLikes, likedByCurrentUser}``, ``commentsSummary{totalFirstLevelComments,
  aggregatedTotalComments}`` (the sandbox's reply count: field unconfirmed) and ``parentComment``.
* ``POST /rest/socialActions/{urn}/comments`` ``{"actor", "object", "message": {"text"}, "parentComment"?}``:
  a comment (or, with ``parentComment`` or a comment URN in the path, a reply) written as ``actor``;
  201 with the id in ``x-restli-id`` and the new comment as the body.

Reading a Page's posts (the posts of a member who administers a Page are the Page's, ``orgs.py``) needs
``r_organization_social`` (or ``r_organization_social_feed``) and the ADMINISTRATOR role; a member's own
posts need the restricted ``r_member_social``. Writing as the Page needs ``w_organization_social`` (or
``_feed``) and the ADMINISTRATOR role; as the member ``w_member_social``. The comments are the world's
(``app/sandbox/comments.py``: the control API and the demo add them).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request

from ..comments import Comment, new_comment_id, replies_of, top_level
from ..common import json_response, state
from ..world import Account, Post
from . import orgs
from .errors import API, LinkedInError, bp, denied, gate, illegal
from .member import ms, paging, person_urn

READ_ORG = ("r_organization_social", "r_organization_social_feed")
WRITE_ORG = ("w_organization_social", "w_organization_social_feed")
READ_MEMBER = ("r_member_social",)
WRITE_MEMBER = ("w_member_social", "w_member_social_feed")
#: the longest comment LinkedIn takes (unconfirmed; 1,250 characters in LinkedIn's own editor)
MAX_TEXT = 1250
_COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[0-9]+),([0-9]+)\)$")


def _element(c: Comment, replies: int) -> dict[str, Any]:
    match = _COMMENT_URN.match(c.id)
    activity = match.group(1) if match else c.post_id
    created = ms(c.published_at)
    return {
        "actor": c.author_id,
        "commentUrn": c.id,
        "id": match.group(2) if match else c.id,
        "object": activity,
        "message": {"text": c.text, "attributes": []},
        "created": {"actor": c.author_id, "time": created},
        "lastModified": {"actor": c.author_id, "time": ms(c.updated_at)},
        "likesSummary": {"totalLikes": c.like_count, "likedByCurrentUser": False},
        "commentsSummary": {"totalFirstLevelComments": replies, "aggregatedTotalComments": replies},
        "parentComment": c.parent_id,
    }


def _target(acc: Account, urn: str) -> tuple[Post, Comment | None]:
    """The post (and the comment, for a comment URN) the path names; 404 when it is not this member's."""
    st = state()
    parent = None
    if urn.startswith("urn:li:comment:"):
        parent = st.comments.get(urn)
        if parent is None or not parent.visible or parent.account_id != acc.id:
            raise LinkedInError(404, "NOT_FOUND", f"Comment {urn} not found")
        urn = parent.post_id
    elif not re.match(r"^urn:li:(share|ugcPost|activity):[0-9]+$", urn):
        raise illegal(f"Invalid entity urn: {urn}")
    post = acc.find_post(urn, st.now())
    if post is None:
        raise LinkedInError(404, "NOT_FOUND", f"Entity {urn} not found")
    return post, parent


def _owner_scopes(
    acc: Account, tok_scopes: tuple[str, ...] | list[str], org: tuple[str, ...], member: tuple[str, ...]
) -> None:
    """A Page's post (its administrator's) needs ``org`` scopes; a member's own post ``member``."""
    needed = org if orgs.administered(acc) else member
    if not set(needed) & set(tok_scopes):
        raise denied("socialActions")


@bp.get(f"{API}/rest/socialActions/<path:urn>/comments")
def list_comments(urn: str) -> Response:
    st = state()
    with st.lock:
        tok, acc = gate("socialActions", (*READ_ORG, *READ_MEMBER))
        _owner_scopes(acc, tok.scopes, READ_ORG, READ_MEMBER)
        post, parent = _target(acc, urn)
        if parent is not None:
            items = replies_of(st.comments, parent.id)
        else:
            items = [] if post.id in st.comments_off else top_level(st.comments, acc.id, post.id)
        start, count, page = paging(len(items))
        elements = [_element(c, len(replies_of(st.comments, c.id))) for c in items[start : start + count]]
        return json_response({"paging": page, "elements": elements})


def _may_write(acc: Account, tok_scopes: Any, actor: str) -> None:
    """As a Page: ``w_organization_social`` and the ADMINISTRATOR role; as oneself: ``w_member_social``."""
    if actor.startswith(orgs.PREFIX):
        allowed = bool(set(WRITE_ORG) & set(tok_scopes)) and orgs.admin_of(acc, actor) is not None
    else:
        allowed = actor == person_urn(acc) and bool(set(WRITE_MEMBER) & set(tok_scopes))
    if not allowed:
        raise denied("socialActions")


@bp.post(f"{API}/rest/socialActions/<path:urn>/comments")
def create_comment(urn: str) -> Response:
    st = state()
    with st.lock:
        tok, acc = gate("socialActions", (*WRITE_ORG, *WRITE_MEMBER))
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise illegal("The request body must be a JSON object")
        actor, message = data.get("actor"), data.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(actor, str) or not isinstance(text, str) or not text.strip():
            raise illegal("actor and message.text are required")
        if len(text) > MAX_TEXT:
            raise LinkedInError(422, "UNPROCESSABLE_ENTITY", f"message.text is longer than {MAX_TEXT} characters")
        _may_write(acc, tok.scopes, actor)
        post, parent = _target(acc, urn)
        named = data.get("parentComment")
        if parent is None and isinstance(named, str):
            parent = st.comments.get(named)
            if parent is None or not parent.visible or parent.post_id != post.id:
                raise LinkedInError(404, "NOT_FOUND", f"Comment {named} not found")
        if parent is not None and parent.parent_id is not None:
            parent = st.comments[parent.parent_id]  # one level: under the top-level comment
        if post.id in st.comments_off:
            raise LinkedInError(403, "ACCESS_DENIED", "Comments are disabled on this post", 100)
        now = st.now()
        comment = Comment(
            id=new_comment_id("linkedin", st.next("comment"), None, post.id),
            account_id=acc.id,
            platform="linkedin",
            post_id=post.id,
            text=text,
            author_handle=actor,
            author_name=actor,
            author_id=actor,
            parent_id=parent.id if parent else None,
            like_count=0,
            published_at=now,
            updated_at=now,
            from_owner=True,
        )
        st.comments[comment.id] = comment
        st.save()
        body = _element(comment, 0)
        return json_response(body, 201, {"x-restli-id": body["id"]})
