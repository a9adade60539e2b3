"""Fans over periods whose weeks do not line up with calendar weeks, periods ending in the past, a client in a
far time zone, deletions and renames: hand-computed top fans and community weeks, read through the API (the
per-fan rows of ``app/models/fan_summary.py``) and equal to grouping the comments (docs/fans.md, "Speed").

T is today (UTC). The period's weeks start on its first day; the period is whole UTC days whatever the
client's time zone.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, Connection, FanDay, FanDayCount, FanSummary
from app.services import platform_events
from app.stats import fans as stats
from app.stats.query import day_start, today
from tests.support import history

_n = itertools.count(1)


def _day(days_ago: int) -> date:
    return today() - timedelta(days=days_ago)


def _at(days_ago: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(_day(days_ago), time(hh, mm, ss), tzinfo=UTC)


def _c(conn: Any, author: str | None, at: datetime, handle: str | None = None, **kw: Any) -> Comment:
    c = Comment(
        connection_id=conn.id,
        client_id=conn.client_id,
        platform=conn.platform,
        platform_id=f"p{next(_n)}",
        post_platform_id="post",
        author_platform_id=author,
        author_handle=handle or author,
        text="hi",
        published_at=at,
        **kw,
    )
    db.session.add(c)
    return c


def _world(factory: Any) -> dict[str, Any]:
    creator = factory.client(coach=None, email="creator@example.com", name="Cara")
    ig, yt = history.connection(creator, "instagram"), history.connection(creator, "youtube")
    a = [
        _c(ig, "A", _at(20)),  # before the period
        _c(ig, "A", _at(9, 0, 0)),  # the period's first instant (T-9 00:00)
        _c(ig, "A", _at(3, 23, 59, 59)),  # the last second of the first week
        _c(ig, "A", _at(2, 0, 0)),  # the second week's first instant
        _c(ig, "A", _at(0, 0, 0)),
    ]
    _c(ig, "B", _at(5, 10), "bea")
    _c(ig, "B", _at(5, 11), "bea_b")  # the same day, renamed
    _c(ig, "B", _at(1), "bea_c")  # renamed again: one fan, shown under the newest handle
    _c(yt, "C", _at(2, 0, 0))
    _c(yt, "D", _at(10, 23, 59, 59))  # the second before the period
    _c(ig, "E", _at(4), deleted_at_platform=_at(3))  # deleted at the platform: E is no fan
    _c(ig, "owner", _at(4), from_owner=True)  # the account's own reply
    db.session.commit()
    return {"creator": creator, "ig": ig, "yt": yt, "a": a}


def _fans(body: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["identities"][0]["platform_user_id"], f["name"], f["comments"]) for f in body["fans"]]


def _weeks(body: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
    return [(w["week_start"], w["active"], w["new"], w["returning"], w["community"]) for w in body["community"]]


def _same_as_comments(client_id: int, start: date, end: date, platform: str | None = None) -> None:
    s, e = day_start(start), day_start(end) + timedelta(days=1)
    assert stats.top_fans(client_id, platform, s, e) == stats.top_fans(client_id, platform, s, e, from_comments=True)
    assert stats.community(client_id, platform, s, e) == stats.community(client_id, platform, s, e, from_comments=True)


def test_a_period_of_ten_days_ending_today(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("creator@example.com")
    q = f"start={_day(9)}&end={_day(0)}"
    body = client.get(f"/api/portal/social/fans?{q}").get_json()
    # A: T-9, T-3, T-2, T (its T-20 comment is before the period); B: two on T-5 and one on T-1; C: T-2
    assert _fans(body) == [("A", "A", 4), ("B", "bea_c", 3), ("C", "C", 1)]
    # weeks [T-9, T-2) and [T-2, T+1) (three days); before the period: A and D
    assert _weeks(body) == [
        (str(_day(9)), 2, 1, 1, 3),  # A and B active, B new: community A, D, B
        (str(_day(2)), 3, 1, 2, 4),  # A, B, C active, C new
    ]
    ig = client.get(f"/api/portal/social/fans?{q}&platform=instagram").get_json()
    assert _fans(ig) == [("A", "A", 4), ("B", "bea_c", 3)]
    assert _weeks(ig) == [(str(_day(9)), 2, 1, 1, 2), (str(_day(2)), 2, 0, 2, 2)]
    for platform in (None, "instagram", "youtube"):
        _same_as_comments(w["creator"].id, _day(9), _day(0), platform)


def test_a_period_ending_in_the_past(client: Any, factory: Any) -> None:
    """Fans have comments after the period's end: their comments in it are summed from the day rows."""
    w = _world(factory)
    client.login("creator@example.com")
    body = client.get(f"/api/portal/social/fans?start={_day(9)}&end={_day(3)}").get_json()
    # [T-9, T-2): A on T-9 and T-3 (latest T-3 23:59:59), B twice on T-5 (latest 11:00): A first on the tie
    assert _fans(body) == [("A", "A", 2), ("B", "bea_b", 2)]
    assert _weeks(body) == [(str(_day(9)), 2, 1, 1, 3)]
    # the same period's second half only: [T-5, T-2)
    body = client.get(f"/api/portal/social/fans?start={_day(5)}&end={_day(3)}").get_json()
    assert _fans(body) == [("B", "bea_b", 2), ("A", "A", 1)]
    assert _weeks(body) == [(str(_day(5)), 2, 1, 1, 3)]
    _same_as_comments(w["creator"].id, _day(9), _day(3))
    _same_as_comments(w["creator"].id, _day(5), _day(3), "instagram")


def test_periods_are_utc_days_in_any_time_zone(client: Any, factory: Any) -> None:
    """A client fourteen hours ahead of UTC: the last 7 days are [T-6, T+1) in UTC all the same."""
    creator = factory.client(coach=None, email="creator@example.com", name="Cara")
    creator.time_zone = "Pacific/Kiritimati"
    ig = history.connection(creator, "instagram")
    _c(ig, "K", _at(7, 23, 30))  # T-6 13:30 in Kiritimati, T-7 in UTC: before the period
    _c(ig, "K", _at(6, 0, 30))  # T-6 in UTC: inside
    _c(ig, "L", _at(1, 23, 30))  # T in Kiritimati, T-1 in UTC: inside
    db.session.commit()
    client.login("creator@example.com")
    body = client.get("/api/portal/social/fans?range=7d").get_json()
    assert body["period"] == {"start": str(_day(6)), "end": str(_day(0))}
    assert sorted(_fans(body)) == [("K", "K", 1), ("L", "L", 1)]
    assert _weeks(body) == [(str(_day(6)), 2, 1, 1, 2)]  # K came back (first seen T-7), L is new


def test_deleted_comments_and_accounts_leave_the_rows(client: Any, factory: Any) -> None:
    w = _world(factory)
    cid = w["creator"].id
    client.login("creator@example.com")
    q = f"start={_day(9)}&end={_day(0)}"
    db.session.delete(w["a"][0])  # A's comment before the period: A is new in the period now
    w["a"][4].deleted_at_platform = _at(0, 0, 0)  # and A's latest is deleted at the platform
    db.session.commit()
    body = client.get(f"/api/portal/social/fans?{q}").get_json()
    # a tie at 3: B's latest (T-1 12:00) is later than A's (T-2 00:00)
    assert _fans(body) == [("B", "bea_c", 3), ("A", "A", 3), ("C", "C", 1)]
    assert _weeks(body) == [(str(_day(9)), 2, 2, 0, 3), (str(_day(2)), 3, 1, 2, 4)]
    a = db.session.scalars(select(FanSummary).where(FanSummary.author_platform_id == "A")).one()
    assert (a.comments, a.first_seen, a.last_seen) == (3, _at(9, 0, 0), _at(2, 0, 0))
    days = db.session.scalars(select(FanDay).where(FanDay.fan_id == a.id).order_by(FanDay.day)).all()
    assert [(d.day, d.comments, d.onward) for d in days] == [
        (day_start(_day(9)), 1, 3),
        (day_start(_day(3)), 1, 2),
        (day_start(_day(2)), 1, 1),
    ]
    _same_as_comments(cid, _day(9), _day(0))
    # C deletes their only comment: C is no fan any more
    db.session.delete(db.session.scalars(select(Comment).where(Comment.author_platform_id == "C")).one())
    db.session.commit()
    body = client.get(f"/api/portal/social/fans?{q}").get_json()
    assert [f[0] for f in _fans(body)] == ["B", "A"]
    assert _weeks(body)[1] == (str(_day(2)), 2, 0, 2, 3)
    # the YouTube account's data deletion request: its fans' rows go with its comments
    yt_id = w["yt"].id
    yt = db.session.get(Connection, yt_id)
    req = platform_events.request_data_deletion("youtube", yt.platform_user_id)
    platform_events.process_data_deletion(req.id)
    db.session.expire_all()
    for model in (FanSummary, FanDayCount):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.connection_id == yt_id)) == 0
    body = client.get(f"/api/portal/social/fans?{q}").get_json()
    assert _weeks(body) == [(str(_day(9)), 2, 2, 0, 2), (str(_day(2)), 2, 0, 2, 2)]  # D went too
    _same_as_comments(cid, _day(9), _day(0))
