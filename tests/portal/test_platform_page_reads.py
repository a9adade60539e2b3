"""What a platform page reads (issue 18's speed target, bench/README.md): each thing once, a fixed number
of statements whatever the data; the tactics table from the overview's posts gives what it gave when it
read them again; the usage day is recorded once, then only looked up in Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AudienceSnapshot, ContentTactic, UsageDay
from app.redis_conn import get_redis
from app.services import tactics
from app.stats import query
from app.stats.overview import client_overview
from app.stats.query import today
from tests.support import history as h


@pytest.fixture
def creator(factory: Any) -> Any:
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    h.connection(c, "tiktok", username="cora_tt")
    h.daily(ig, today() - timedelta(days=40), [1000 + i for i in range(41)])
    # six posts: three tagged "collab" (rates 3.0, 4.0, 5.0 %), three not (1.0, 2.0, 3.0 %), all reels
    for day, likes, tagged in ((2, 30, True), (3, 40, True), (4, 50, True), (5, 10, False), (6, 20, False)):
        item = h.post(ig, today() - timedelta(days=day), likes=likes, comments=0, followers=1000, kind="reel")
        if tagged:
            db.session.add(ContentTactic(content_item_id=item.id, tactic="collab"))
    h.post(ig, today() - timedelta(days=7), likes=30, comments=0, followers=1000, kind="reel")
    base = {"age": {"18-24": 60.0, "25-34": 40.0}, "gender": {"female": 50.0, "male": 50.0}, "countries": []}
    db.session.add_all(
        [
            AudienceSnapshot(connection_id=ig.id, taken_on=today() - timedelta(days=1), payload=base),
            AudienceSnapshot(
                connection_id=ig.id, taken_on=today() - timedelta(days=36), payload={**base, "age": {"18-24": 50.0}}
            ),
        ]
    )
    db.session.commit()
    return c


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)


def test_a_platform_page_reads_each_thing_once(client: Any, creator: Any) -> None:
    client.login("c@example.com")
    assert client.get("/portal/analytics/instagram?range=30d").status_code == 200  # first view of the day
    with statements() as seen:
        page = client.get("/portal/analytics/instagram?range=30d")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<h2 id="aud-h">Audience</h2>' in text
    assert "Collab" in text
    # the session with its user, client and deliverables (1); the connections, snapshots and posts (3);
    # the newest audience snapshot, insights, stories, the older snapshot (4); the coach's tactics and the
    # posts' tags (2); the fan link page (1); the nav's brand and unread alerts (2). Not read: the
    # connection again (audience, tactics), the posts again (tactics), the client again (usage), the usage
    # day (marked in Redis since the first view)
    assert len(seen) == 13, "\n".join(s.split(" FROM ")[1][:60] if " FROM " in s else s[:60] for s in seen)
    assert not [s for s in seen if "usage_days" in s]
    connections = [s for s in seen if "FROM connections" in s]
    assert len(connections) == 1
    assert sum("FROM content_items" in s for s in seen) == 1


def test_tactics_from_the_overviews_posts_are_the_tactics_read_again(app: Any, creator: Any) -> None:
    q = query.parse({"platform": "instagram", "range": "30d"}, tz=creator.time_zone)
    ov = client_overview(creator, q)
    assert len(ov.posts) == 6
    from_posts = tactics.report(creator, q, ov.posts)
    assert from_posts == tactics.report(creator, q)
    (row,) = from_posts
    assert row.slug == "collab"
    # hand-computed: tagged 3.0/4.0/5.0 % -> median 4.0; the other reels 1.0/2.0/3.0 % -> 2.0; lift +100 %
    assert (row.overall.posts, row.overall.median_engagement) == (3, 4.0)
    assert (row.overall.baseline_posts, row.overall.baseline_engagement) == (3, 2.0)
    assert row.overall.lift_pct == 100.0


def test_the_usage_day_is_recorded_once_and_then_marked_in_redis(client: Any, creator: Any) -> None:
    client.login("c@example.com")

    def rows() -> int:
        return int(db.session.scalar(select(func.count()).select_from(UsageDay)) or 0)

    assert rows() == 0
    assert client.get("/portal/analytics/tiktok").status_code == 200
    assert rows() == 1
    marks = [k.decode() for k in get_redis().scan_iter("usage:day:*")]
    assert marks == [f"usage:day:{creator.id}:analytics:{today().isoformat()}"]
    with statements() as seen:
        assert client.get("/portal/analytics/tiktok").status_code == 200
    assert not [s for s in seen if "usage_days" in s]
    # without the mark (Redis flushed) the database is asked again: still one row, and marked again
    get_redis().delete(*marks)
    with statements() as seen:
        assert client.get("/portal/analytics/tiktok").status_code == 200
    assert [s for s in seen if "usage_days" in s]
    assert rows() == 1
    assert list(get_redis().scan_iter("usage:day:*"))


def test_the_platform_pages_charts_are_read_in_one_redis_command(client: Any, creator: Any) -> None:
    client.login("c@example.com")
    client.get("/portal/analytics/instagram?range=30d")  # renders and stores the four charts
    r = get_redis()
    assert len(list(r.scan_iter("chart:*"))) == 4
    r.config_resetstat()
    assert client.get("/portal/analytics/instagram?range=30d").status_code == 200
    stats = r.info("commandstats")
    # one MGET for the four charts, one for the live data version (the poller's, the fans' cache key too)
    assert stats["cmdstat_mget"]["calls"] == 2
    assert "cmdstat_set" not in stats  # nothing was rendered again
