"""Fans per platform for the client and their coach (contract 6.4; docs/fans.md): the JSON shapes.

Each fan is one platform's commenter on one connected account; ``identities`` holds that one platform only
(a fan appears as one person across platforms only once they link themselves: not built yet, docs/fans.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models import Client, Comment, ContentItem
from app.stats import fans as stats
from app.stats.query import StatsQuery, day_start

#: the platforms whose comments the app syncs (docs/comments.md): the only ones with fans
COMMENT_PLATFORMS = ("instagram", "youtube")


def window(client: Client, query: StatsQuery) -> tuple[datetime, datetime]:
    """The query's period as ``[start, end)`` in UTC; all time starts at the first comment held."""
    end = day_start(query.period.end) + timedelta(days=1)
    if query.period.start is not None:
        return day_start(query.period.start) + timedelta(days=1), end
    first = db.session.scalar(select(func.min(Comment.published_at)).where(Comment.client_id == client.id))
    return (day_start(first.date()) if first else end - timedelta(days=1)), end


def fan_json(f: stats.Fan) -> dict[str, object]:
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


def fans_json(client: Client, query: StatsQuery, limit: int = 50) -> dict[str, object]:
    start, end = window(client, query)
    platform = query.platform
    fans = stats.top_fans(client.id, platform, start, end, limit)
    weeks = stats.community(client.id, platform, start, end)
    return {
        "period": {"start": start.date().isoformat(), "end": (end - timedelta(days=1)).date().isoformat()},
        "platform": platform,
        "fans": [fan_json(f) for f in fans],
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
