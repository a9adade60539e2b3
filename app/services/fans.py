"""Fans per platform for the client and their coach (contract 6.4; docs/fans.md): the JSON shapes.

Each fan is one platform's commenter on one connected account; ``identities`` holds that one platform only
(a fan appears as one person across platforms only once they link themselves: not built yet, docs/fans.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models import Client, Comment, ContentItem
from app.redis_cache import digest_key, get_or_build
from app.services import comments as inbox
from app.services import fan_links, live
from app.stats import fans as stats
from app.stats import query as stats_query
from app.stats.query import StatsQuery, day_start

#: the platforms whose comments the app syncs (docs/comments.md): the only ones with fans


def window(client: Client, query: StatsQuery) -> tuple[datetime, datetime]:
    """The query's period as ``[start, end)`` in UTC; all time starts at the first comment held."""
    end = day_start(query.period.end) + timedelta(days=1)
    if query.period.start is not None:
        return day_start(query.period.start) + timedelta(days=1), end
    first = db.session.scalar(select(func.min(Comment.published_at)).where(Comment.client_id == client.id))
    return (day_start(first.date()) if first else end - timedelta(days=1)), end


def fan_json(f: stats.Fan) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.handle or f.name or "Unnamed commenter",
        "identities": [{"platform": f.platform, "handle": f.handle, "platform_user_id": f.platform_user_id}],
        "comments": f.comments,
        "posts": f.posts,
        "platforms": [f.platform],
        "first_seen": f.first_seen.isoformat(),
        "last_seen": f.last_seen.isoformat(),
        "linked": False,
    }


CACHE_SECONDS = 600


def fans_json(client: Client, query: StatsQuery, limit: int = 50, version: str | None = None) -> dict[str, Any]:
    """The fans answer, cached in Redis per (client, query, the client's data version) for at most 10 minutes.

    The data version (``app/services/live.py``) moves with every sync, comment change and fan link change,
    so a cached answer is never older than the comments it was built from (bench/README.md, "fans").
    A custom range is built every time (``StatsQuery.cacheable``).
    """
    if not query.cacheable:
        return _build(client, query, limit)
    version = live.version([client.id]) if version is None else version  # a page may have read it already
    key = digest_key("fans:", str(client.id), query.cache_key(), str(limit), version)
    return get_or_build(
        key,
        lambda: _build(client, query, limit),
        ttl=CACHE_SECONDS,
        dump=json.dumps,
        load=json.loads,
        name="fans",
    )


#: the answers the pages open with, built by the worker after each sync (``warm``): the fans API's
#: default view (every platform, 50 fans) and, per platform with comments, its page (10 fans) and API
PAGE_FANS, API_FANS = 10, 50


def opening_views(client: Client) -> list[tuple[StatsQuery, int]]:
    """(query, limit) of each view a page or the API opens with, exactly as they parse their arguments."""
    platforms = {c.platform for c in inbox.comment_connections(client.id)}  # not a personal TikTok account
    views = [(stats_query.parse({}, tz=client.time_zone), API_FANS)]
    for platform in sorted(platforms):
        q = stats_query.parse({"platform": platform}, tz=client.time_zone)
        views += [(q, PAGE_FANS), (q, API_FANS)]
    return views


def warm(client: Client) -> int:
    """Build and cache the opening views for the client's current data version (a job after each sync):
    the first reader after a sync then reads a cached answer instead of summing the fans' day rows
    (bench/README.md, "fans"). Other ranges are still built on first read. Returns the views built."""
    for q, limit in opening_views(client):
        fans_json(client, q, limit)
    return len(opening_views(client))


def _build(client: Client, query: StatsQuery, limit: int) -> dict[str, Any]:
    start, end = window(client, query)
    platform = query.platform
    fans = stats.top_fans(client.id, platform, start, end, limit)
    items = [fan_json(f) for f in fans]
    if platform is None:  # only fans who linked themselves appear as one person across platforms
        items = _combine_linked(client, fans, items, start, end)
    weeks = stats.community(client.id, platform, start, end)
    return {
        "period": {"start": start.date().isoformat(), "end": (end - timedelta(days=1)).date().isoformat()},
        "platform": platform,
        "fans": items,
        "community": [
            {
                "week_start": w.start.date().isoformat(),
                "active": w.active,
                "new": w.new,
                "returning": w.returning,
                "community": w.community,
            }
            for w in weeks
        ],
    }


def _combine_linked(
    client: Client, fans: list[stats.Fan], items: list[dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Replace the listed identities of each verified link with one fan holding all of the link's identities."""
    links = fan_links.verified_map(client.id)
    listed = {links[k] for f in fans if (k := stats.parse_fan_id(f.id)) in links}
    if not listed:
        return items
    keys = [k for k, link_id in links.items() if link_id in listed]
    parts: dict[int, list[stats.Fan]] = {}
    for f in stats.top_fans(client.id, None, start, end, limit=len(keys), only=keys):
        key = stats.parse_fan_id(f.id)
        if key is not None:
            parts.setdefault(links[key], []).append(f)
    # accounts linked by signing in on a platform whose replies the app does not read (X): no comments,
    # but one of the fan's identities all the same
    extra: dict[int, list[dict[str, Any]]] = {}
    for ident in fan_links.signin_only_identities(client.id, listed):
        extra.setdefault(ident.fan_link_id, []).append(
            {"platform": ident.platform, "handle": ident.handle, "platform_user_id": ident.author_platform_id}
        )
    out: list[dict[str, Any]] = []
    done: set[int] = set()
    for f, item in zip(fans, items, strict=True):
        key = stats.parse_fan_id(f.id)
        link_id = links.get(key) if key else None
        if link_id is None:
            out.append(item)
            continue
        if link_id in done:
            continue
        done.add(link_id)
        group = parts.get(link_id, [f])
        out.append(
            {
                "id": f"link-{link_id}",
                "name": item["name"],
                "identities": [
                    {"platform": g.platform, "handle": g.handle, "platform_user_id": g.platform_user_id} for g in group
                ]
                + extra.get(link_id, []),
                "comments": sum(g.comments for g in group),
                "posts": sum(g.posts for g in group),
                "platforms": sorted({g.platform for g in group} | {e["platform"] for e in extra.get(link_id, [])}),
                "first_seen": min(g.first_seen for g in group).isoformat(),
                "last_seen": max(g.last_seen for g in group).isoformat(),
                "linked": True,
            }
        )
    out.sort(key=lambda i: (int(i["comments"]), str(i["last_seen"])), reverse=True)
    return out


def fan_detail_json(client: Client, raw_id: str) -> dict[str, object]:
    """One fan's comments and the posts they commented on; another client's (or no such) fan is a 404."""
    key = stats.parse_fan_id(raw_id)
    comments = stats.fan_comments(client.id, key) if key else []
    if key is None or not comments:
        raise NotFound("No such fan.")
    post_ids = sorted({c.post_id for c in comments if c.post_id is not None})
    posts = {
        i.id: {"id": i.id, "caption": (i.title or i.caption or "")[:200], "permalink": i.permalink}
        for i in db.session.scalars(select(ContentItem).where(ContentItem.id.in_(post_ids)))
    }
    return {
        "id": raw_id,
        "comments": [
            {
                "id": c.id,
                "text": c.text,
                "published_at": c.published_at.isoformat(),
                "like_count": c.like_count,
                "post": posts.get(c.post_id) if c.post_id is not None else None,
            }
            for c in comments
        ],
        "first_seen": comments[-1].published_at.isoformat(),
        "last_seen": comments[0].published_at.isoformat(),
    }
