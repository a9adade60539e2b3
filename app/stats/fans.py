"""Fans per platform (docs/metrics.md, "Fans"; policy in docs/fans.md): who comments on a client's posts.

A **fan** is one commenter on one connected account: the platform's own author id on that connection
(Instagram and Facebook ids are scoped to the app or the page; nothing here joins two accounts' or two
platforms' commenters, whatever their handles or names). Counted: comments and replies by the audience (not
the account owner), not deleted at the platform, with an author id.

* **top fans** of a period: by comments in the period (then the latest comment first); each with the posts
  they commented on in the period, and first / last seen over every comment the app holds;
* **community** per week of the period (weeks start on the period's first day): *active* commenters that
  week, *new* ones (their first comment the app holds is that week), *returning* ones (active, not new),
  and the *community* line: commenters seen since the app first held a comment, up to that week's end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, tuple_

from app.extensions import db
from app.models import Comment
from app.stats import fan_summaries

Key = tuple[int, str]  # (connection id, the platform's author id on that connection)


def _audience(client_id: int, platform: str | None) -> list[ColumnElement[bool]]:
    terms = [
        Comment.client_id == client_id,
        ~Comment.from_owner,
        Comment.deleted_at_platform.is_(None),
        Comment.author_platform_id.is_not(None),
    ]
    if platform:
        terms.append(Comment.platform == platform)
    return terms


def fan_id(key: Key) -> str:
    return f"{key[0]}-{key[1]}"


def parse_fan_id(raw: str) -> Key | None:
    conn, _, author = raw.partition("-")
    return (int(conn), author) if conn.isdigit() and author and len(author) <= 128 else None


@dataclass
class Fan:
    id: str
    platform: str
    handle: str | None
    name: str | None
    platform_user_id: str
    comments: int
    posts: int
    first_seen: datetime
    last_seen: datetime
    post_ids: list[int] = field(default_factory=list)


def top_fans(
    client_id: int,
    platform: str | None,
    start: datetime,
    end: datetime,
    limit: int = 50,
    only: Sequence[Key] | None = None,
    from_comments: bool = False,
) -> list[Fan]:
    """The period's most active commenters, ``[start, end)``, labelled by platform (``only``: these fans).

    The ranking sums the per-fan day summaries when the period is whole UTC days (every page's period);
    ``from_comments`` (and any other period) groups the comments themselves: same numbers, slower.
    """
    audience = _audience(client_id, platform)
    if only is not None:
        audience.append(tuple_(Comment.connection_id, Comment.author_platform_id).in_(list(only)))
    in_period = [*audience, Comment.published_at >= start, Comment.published_at < end]
    ranked: Sequence[Any]
    if only is None and not from_comments and fan_summaries.whole_days(start, end):
        ranked = fan_summaries.ranked(client_id, platform, start, end, limit)
    else:
        n = func.count().label("n")
        last = func.max(Comment.published_at).label("last")
        ranked = db.session.execute(
            select(Comment.connection_id, Comment.author_platform_id, n, last)
            .where(*in_period)
            .group_by(Comment.connection_id, Comment.author_platform_id)
            .order_by(n.desc(), last.desc(), Comment.author_platform_id)
            .limit(limit)
        ).all()
    if not ranked:
        return []
    keys: list[Key] = [(c, str(a)) for c, a, _, _ in ranked]
    authors = [k[1] for k in keys]
    seen: dict[Key, tuple[datetime, datetime]] = {}
    for c, a, first, latest in db.session.execute(
        select(
            Comment.connection_id,
            Comment.author_platform_id,
            func.min(Comment.published_at),
            func.max(Comment.published_at),
        )
        .where(*audience, Comment.author_platform_id.in_(authors))
        .group_by(Comment.connection_id, Comment.author_platform_id)
    ):
        seen[(c, str(a))] = (first, latest)
    # the newest handle and name each fan used (a person who renames shows their current name)
    latest_row: dict[Key, tuple[datetime, str, str | None, str | None]] = {}
    posts: dict[Key, set[int]] = defaultdict(set)
    for c, a, pl, h, nm, at, item in db.session.execute(
        select(
            Comment.connection_id,
            Comment.author_platform_id,
            Comment.platform,
            Comment.author_handle,
            Comment.author_name,
            Comment.published_at,
            Comment.content_item_id,
        ).where(*in_period, Comment.author_platform_id.in_(authors))
    ):
        key = (c, str(a))
        if key not in seen:
            continue
        if key not in latest_row or at > latest_row[key][0]:
            latest_row[key] = (at, pl, h, nm)
        if item is not None:
            posts[key].add(item)
    out = []
    for (_c, _a, count, _), key in zip(ranked, keys, strict=True):
        _, pl, handle, name = latest_row[key]
        first, latest = seen[key]
        out.append(
            Fan(
                id=fan_id(key),
                platform=pl,
                handle=handle,
                name=name,
                platform_user_id=key[1],
                comments=int(count),
                posts=len(posts[key]),
                first_seen=first,
                last_seen=latest,
                post_ids=sorted(posts[key]),
            )
        )
    return out


@dataclass(frozen=True)
class CommunityWeek:
    start: datetime
    active: int
    new: int
    returning: int
    community: int


def community(
    client_id: int, platform: str | None, start: datetime, end: datetime, from_comments: bool = False
) -> list[CommunityWeek]:
    """Weekly active / new / returning commenters over ``[start, end)`` and the community size at each week's end.

    Two grouped queries whatever the number of comments: distinct (fan, week) pairs counted per week, and
    each fan's first comment counted per week (``-1``: before the period). A fan whose first comment is in
    a week is active that week, so *new* is the count of first comments in it.
    """
    edges: list[datetime] = []
    ws = start
    while ws < end:
        edges.append(ws)
        ws += timedelta(days=7)
    if not edges:
        return []

    def week(col: Any) -> Any:
        if len(edges) == 1:  # one week: no boundary inside the period (an empty CASE is not SQL)
            return literal(0)
        return case(*[(col < e, i) for i, e in enumerate(edges[1:])], else_=len(edges) - 1)

    if from_comments or not fan_summaries.whole_days(start, end):
        active, firsts = _community_from_comments(client_id, platform, start, end, week)
    else:
        active, firsts = fan_summaries.community_counts(client_id, platform, start, end)
    weeks = []
    community_size = firsts.get(-1, 0)
    for i, ws in enumerate(edges):
        new = firsts.get(i, 0)
        community_size += new
        n = active.get(i, 0)
        weeks.append(CommunityWeek(ws, n, new, n - new, community_size))
    return weeks


Counts = dict[int, int]


def _community_from_comments(
    client_id: int, platform: str | None, start: datetime, end: datetime, week: Callable[[Any], Any]
) -> tuple[Counts, Counts]:
    """Active fans per week, and fans per week of their first comment (``-1``: before the period)."""
    audience = _audience(client_id, platform)
    author = (Comment.connection_id, Comment.author_platform_id)

    pairs = (
        select(*author, week(Comment.published_at).label("w"))
        .where(*audience, Comment.published_at >= start, Comment.published_at < end)
        .distinct()
        .subquery()
    )
    active = {int(w): int(n) for w, n in db.session.execute(select(pairs.c.w, func.count()).group_by(pairs.c.w))}
    firsts_q = (
        select(func.min(Comment.published_at).label("f"))
        .where(*audience, Comment.published_at < end)
        .group_by(*author)
        .subquery()
    )
    first_week = case((firsts_q.c.f < start, -1), else_=week(firsts_q.c.f))
    firsts = {int(w): int(n) for w, n in db.session.execute(select(first_week, func.count()).group_by(first_week))}
    return active, firsts


@dataclass(frozen=True)
class FanComment:
    id: int
    post_id: int | None
    text: str
    published_at: datetime
    like_count: int


def fan_comments(client_id: int, key: Key, limit: int = 100) -> list[FanComment]:
    """A fan's comments on this client's posts, newest first (another client's fan: empty)."""
    rows = db.session.scalars(
        select(Comment)
        .where(*_audience(client_id, None), Comment.connection_id == key[0], Comment.author_platform_id == key[1])
        .order_by(Comment.published_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    return [FanComment(r.id, r.content_item_id, r.text, r.published_at, r.like_count) for r in rows]
