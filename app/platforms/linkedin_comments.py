"""Comments on a LinkedIn Company Page's posts (``platforms-deep-data.md`` §5.1, ``platforms.md`` §7).

* ``GET /rest/socialActions/{postUrn}/comments?start&count=100``: the post's comments, start/count paging
  (``paging.links`` rel ``next`` / ``total``). Each element: ``actor`` (``urn:li:person:{id}``, an
  **app-scoped** id with no name or avatar, or ``urn:li:organization:{id}``), ``commentUrn``,
  ``message.text``, ``created.time`` (epoch ms), ``lastModified.time``, ``likesSummary.totalLikes``,
  ``parentComment``; the reply count is read from ``commentsSummary.totalFirstLevelComments``
  (unconfirmed field: without it the replies are read every time).
* ``GET /rest/socialActions/{commentUrn}/comments``: the replies under one comment (only for a comment
  whose reply count changed since the last read, as for YouTube and TikTok).
* ``POST /rest/socialActions/{postUrn}/comments`` ``{"actor": <organization urn>, "object": <postUrn>,
  "parentComment": <commentUrn>, "message": {"text"}}``: a reply written as the Page; 201 with the id in
  ``x-restli-id`` (the post path with ``parentComment`` is BrightBean's form; the canonical one is
  unconfirmed).

Scopes: reading a Page's post comments needs ``r_organization_social`` (the deployment asks it with
``LINKEDIN_ORGANIZATIONS``) and the ADMINISTRATOR role; replying as the Page ``w_organization_social``
(:data:`WRITE_SCOPE`), which is asked only when ``LINKEDIN_PAGE_REPLIES`` is on. A member's own posts'
comments need the restricted ``r_member_social``: not read (docs/comments.md).
Every call carries ``LinkedIn-Version`` and ``X-Restli-Protocol-Version`` (``LinkedInAdapter.get``).
No database access here, as in ``app/platforms/comments.py``, which dispatches here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from app.platforms.base import PageGuard, as_mapping, to_int
from app.platforms.comment_record import PlatformComment
from app.platforms.errors import BadResponse
from app.platforms.linkedin import REST
from app.platforms.linkedin_org import PREFIX, LinkedInOrgAdapter

__all__ = ["PAGE", "READ_SCOPES", "REPLY_LIMIT", "WRITE_SCOPE", "post_comments", "replies", "reply"]

#: comments asked per page (``count``; LinkedIn's collections take at most 100)
PAGE = 100
READ_SCOPES = ("r_organization_social", "r_organization_social_feed")
WRITE_SCOPE = "w_organization_social"
#: the longest comment LinkedIn takes (unconfirmed: 1,250 characters in LinkedIn's own editor)
REPLY_LIMIT = 1250


def _path(urn: str) -> str:
    return f"/socialActions/{quote(urn, safe='')}/comments"


def author_url(actor: str | None) -> str | None:
    """A Page's public address (organization ids are global); a member's id is app-scoped: none."""
    if actor and actor.startswith(PREFIX) and actor[len(PREFIX) :].isdigit():
        return f"https://www.linkedin.com/company/{actor[len(PREFIX) :]}/"
    return None


def _comment(raw: Mapping[str, Any], post_urn: str, parent: str | None) -> PlatformComment:
    urn = raw.get("commentUrn")
    text = as_mapping(raw.get("message")).get("text")
    if not isinstance(urn, str) or not urn.startswith("urn:li:comment:") or not isinstance(text, str):
        raise BadResponse("comment without commentUrn or message.text", platform="linkedin")
    created = to_int(as_mapping(raw.get("created")).get("time"))
    if created is None or created <= 0:
        raise BadResponse("comment without created.time", platform="linkedin")
    modified = to_int(as_mapping(raw.get("lastModified")).get("time"))
    actor = raw.get("actor") or as_mapping(raw.get("created")).get("actor")
    actor = actor if isinstance(actor, str) and actor.startswith("urn:li:") else None
    parent_id = raw.get("parentComment") if isinstance(raw.get("parentComment"), str) else parent
    summary = raw.get("commentsSummary")
    replies_total = to_int(as_mapping(summary).get("totalFirstLevelComments")) if summary is not None else None
    return PlatformComment(
        platform_id=urn,
        post_id=post_urn,
        parent_id=parent_id or None,
        text=text,
        author_handle=None,  # LinkedIn gives no handle and no name, only the actor URN
        author_name=None,
        author_id=actor,
        author_url=author_url(actor),
        published_at=datetime.fromtimestamp(created / 1000, UTC),
        updated_at=datetime.fromtimestamp(modified / 1000, UTC) if modified and modified != created else None,
        like_count=to_int(as_mapping(raw.get("likesSummary")).get("totalLikes")),
        reply_count=replies_total if not parent_id else None,
    )


def _pages(adapter: LinkedInOrgAdapter, token: str, urn: str) -> list[Mapping[str, Any]]:
    """Every element of a comment collection, by start/count (loop-safe)."""
    guard = PageGuard("linkedin")
    out: list[Mapping[str, Any]] = []
    start = 0
    while True:
        body = adapter.get(_path(urn), token, {"start": start, "count": PAGE})
        elements = adapter.elements(body)
        out.extend(elements)
        paging = as_mapping(body.get("paging"))
        links = paging.get("links")
        has_next = isinstance(links, list) and any(as_mapping(link).get("rel") == "next" for link in links)
        total = to_int(paging.get("total"))
        nxt = start + len(elements)
        if not elements or (not has_next and (total is None or nxt >= total)) or not guard.next_allowed(nxt):
            return out
        start = nxt


def replies(adapter: LinkedInOrgAdapter, token: str, comment_urn: str, post_urn: str) -> list[PlatformComment]:
    """Every reply under one comment, oldest first (also the landing check before a retried reply)."""
    out = [_comment(r, post_urn, comment_urn) for r in _pages(adapter, token, comment_urn)]
    return sorted(out, key=lambda c: (c.published_at, c.platform_id))


def post_comments(
    adapter: LinkedInOrgAdapter, token: str, post_urn: str, known: Mapping[str, int]
) -> list[PlatformComment]:
    """Every comment of a Page's post with its replies (each top-level comment followed by its replies).

    Replies are read for a comment whose reply count changed since the last read (``known``), or whose
    count LinkedIn did not give. A malformed element fails the post (a note in the sync's details)."""
    out: list[PlatformComment] = []
    for raw in _pages(adapter, token, post_urn):
        top = _comment(raw, post_urn, None)
        if top.parent_id is not None:  # a reply listed at the top: it comes with its comment
            continue
        total = top.reply_count
        if total is None or (total > 0 and known.get(top.platform_id) != total):
            kids = replies(adapter, token, top.platform_id, post_urn)
            out.append(PlatformComment(**{**top.__dict__, "reply_count": len(kids)}))
            out.extend(kids)
        else:
            out.append(top)
    return out


def reply(adapter: LinkedInOrgAdapter, token: str, post_urn: str, comment_urn: str, text: str) -> str:
    """One reply as the Page; returns its ``commentUrn`` (from the answer, else built from ``x-restli-id``)."""
    body = {
        "actor": adapter.organization,
        "object": post_urn,
        "parentComment": comment_urn,
        "message": {"text": text},
    }
    response = adapter.http.request(
        "POST",
        f"{REST}{_path(post_urn)}",
        json_body=body,
        headers={"LinkedIn-Version": adapter.api_version, "X-Restli-Protocol-Version": "2.0.0"},
        access_token=token,
    )
    answer = as_mapping(adapter._check(response))
    urn = answer.get("commentUrn")
    if isinstance(urn, str) and urn.startswith("urn:li:comment:"):
        return urn
    new_id = response.headers.get("x-restli-id")
    activity = comment_urn.removeprefix("urn:li:comment:(").split(",", 1)[0]
    if not new_id or not new_id.isdigit() or not activity.startswith("urn:li:"):
        raise BadResponse("reply answer has no comment id", platform="linkedin")
    return f"urn:li:comment:({activity},{new_id})"
