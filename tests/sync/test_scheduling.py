"""Scheduling and limits: fan-out twice, two syncs at once, the refresh limit, Redis stopped, polling,
the aging schedule, backfill consistency, bad platform data."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models import Connection
from app.models.history import AccountInsight, DailySnapshot
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.sync import aging, engine
from tests.sync.conftest import counts, drain, runs


def test_daily_fanout_twice_queues_one_job_per_connection(app: Any, link: Any) -> None:
    ids = [link(p)[0] for p in ("instagram", "tiktok", "youtube")]
    queue = Queue("sync", connection=get_redis())
    queue.empty()
    assert sync_jobs.daily_fanout() == 3
    assert sync_jobs.daily_fanout() == 3  # duplicates count as queued ...
    assert sorted(queue.job_ids) == sorted(dispatch.daily_sync_job_id(i) for i in ids)  # ... but are not added
    drain(app)
    for conn_id in ids:
        assert counts(conn_id)["snapshots"] == 1
    assert sync_jobs.daily_fanout() == 3  # finished unique jobs still block today's id
    assert len(queue.job_ids) == 0


def test_two_syncs_of_one_connection_never_run_at_once(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("tiktok")
    world.set_latency(150)
    results: list[str] = []

    def one() -> None:
        with app.app_context():
            results.append(engine.sync(conn_id, "operator").status)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["busy", "succeeded"]
    assert counts(conn_id)["snapshots"] == 1
    assert len(runs(conn_id)) == 1
    # the postponed one comes back later and sees the finished sync: nothing to do
    queue = Queue("sync", connection=get_redis())
    job_id = queue.scheduled_job_registry.get_job_ids()[0]
    args = queue.fetch_job(job_id).args
    assert engine.sync(*args).status == "fresh"


def test_refresh_now_is_limited_to_once_an_hour(app: Any, link: Any, client: Any) -> None:
    conn_id, _ = link("instagram")
    drain(app)
    first = client.post(f"/api/portal/social/connections/{conn_id}/refresh")
    assert first.status_code == 202
    second = client.post(f"/api/portal/social/connections/{conn_id}/refresh")
    assert second.status_code == 429
    assert 3500 <= int(second.headers["Retry-After"]) <= 3601
    assert second.get_json()["error"]["code"] == "too_many_requests"
    page = client.hx("POST", f"/portal/settings/connections/{conn_id}/refresh")
    assert page.status_code == 429
    assert "Retry-After" in page.headers
    assert "once an hour" in page.headers["HX-Trigger"]
    drain(app)
    kinds = [r.trigger for r in runs(conn_id)]
    assert kinds == ["initial", "manual"]  # the initial sync did not count against the limit


def test_redis_stopped_pages_render_and_refresh_cannot_queue(app: Any, link: Any, client: Any) -> None:
    conn_id, _ = link("youtube")
    drain(app)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("portal_redis", None)
    page = client.get("/portal/settings/connections")
    assert page.status_code == 200
    assert "Last synced" in page.get_data(as_text=True)
    resp = client.post(f"/api/portal/social/connections/{conn_id}/refresh")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "cannot_queue"
    hx = client.hx("POST", f"/portal/settings/connections/{conn_id}/refresh")
    assert hx.status_code == 503
    assert "cannot queue" in hx.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Connection, conn_id).sync_requested_at is None  # not counted against the hour


def test_cards_poll_while_a_sync_is_awaited_and_stop_after(app: Any, link: Any, client: Any) -> None:
    conn_id, _ = link("tiktok")
    waiting = client.hx("GET", "/portal/settings/connections").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in waiting
    assert "first sync is on its way" in waiting
    drain(app)
    done = client.hx("GET", "/portal/settings/connections").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in done
    assert "Last synced" in done


def test_aging_schedule() -> None:
    today = date(2026, 10, 15)
    assert aging.is_due(today, None, today)
    assert aging.is_due(today - timedelta(days=3), today - timedelta(days=1), today)
    assert not aging.is_due(today - timedelta(days=20), today - timedelta(days=2), today)
    assert aging.is_due(today - timedelta(days=20), today - timedelta(days=3), today)
    assert not aging.is_due(today - timedelta(days=60), today - timedelta(days=6), today)
    assert aging.is_due(today - timedelta(days=60), today - timedelta(days=7), today)
    assert not aging.is_due(today - timedelta(days=91), None, today)


def test_aging_schedule_decides_which_posts_get_a_snapshot(app: Any, link: Any) -> None:
    from app.models.history import ContentItem, ContentMetricSnapshot

    conn_id, _ = link("tiktok")
    drain(app)
    items = db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars().all()
    snapped = set(db.session.execute(select(ContentMetricSnapshot.content_item_id)).scalars())
    today = engine.today()
    for item in items:
        assert (item.id in snapped) == ((today - item.published_at.date()).days <= aging.MAX_AGE_DAYS)


@pytest.mark.parametrize("platform", ["youtube", "facebook"])  # both give daily follows and unfollows
def test_backfill_ends_at_todays_count(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, account = link(platform, trajectory="growth")
    drain(app)
    rows = (
        db.session.execute(
            select(DailySnapshot).where(DailySnapshot.connection_id == conn_id).order_by(DailySnapshot.day)
        )
        .scalars()
        .all()
    )
    measured = [r for r in rows if r.provenance == "measured"]
    backfilled = [r for r in rows if r.provenance == "backfilled"]
    assert len(measured) == 1
    assert len(backfilled) > 300
    nets = {}
    for ins in db.session.execute(select(AccountInsight).where(AccountInsight.connection_id == conn_id)).scalars():
        if ins.metric in ("followers_gained", "followers_lost"):
            nets[ins.day] = nets.get(ins.day, 0) + (ins.value if ins.metric == "followers_gained" else -ins.value)
    by_day = {r.day: r.followers for r in rows}
    # walking forward from any backfilled day with the platform's own daily changes lands on today's count
    start = backfilled[0].day
    total = by_day[start] + sum(v for d, v in nets.items() if d > start)
    assert total == pytest.approx(measured[0].followers, abs=1)
    for day in list(by_day)[1:]:
        if by_day.get(day - timedelta(days=1)) is not None and day in nets and day < backfilled[-1].day:
            assert by_day[day] - by_day[day - timedelta(days=1)] == pytest.approx(nets[day], abs=1)


def test_bad_platform_data_is_stored_safely(app: Any, link: Any) -> None:
    """Huge captions, emoji and right-to-left text round-trip; numbers of the wrong type are dropped."""
    from app.models.history import ContentItem
    from app.platforms.base import ContentItem as PItem
    from app.platforms.base import Profile
    from app.sync import storage

    conn_id, _ = link("tiktok")
    now = engine.today()
    from datetime import UTC, datetime

    published = datetime.combine(now, datetime.min.time(), tzinfo=UTC)
    caption = "🔥 مرحبا بالعالم #حب " + "x" * 100_000
    items = [
        PItem(
            platform_id="a",
            kind="video",
            published_at=published,
            caption=caption,
            metrics={"views": float("nan"), "likes": "12", "comments": 1e30},
        ),  # type: ignore[dict-item]
        PItem(platform_id="a", kind="video", published_at=published, caption="dup"),
        PItem(platform_id="b\x00", kind="video", published_at=published, caption=None),
    ]
    storage.write_snapshot(conn_id, now, Profile(platform_user_id="x", followers=None))
    ids = storage.write_content(conn_id, items, None)
    db.session.commit()
    assert len(ids) == 2
    row = db.session.execute(select(ContentItem).where(ContentItem.platform_id == "a")).scalar_one()
    assert row.caption == caption
    assert row.views is None
    assert row.likes == 12
    assert row.comments == 2**62
    assert not db.session.execute(
        select(DailySnapshot).where(DailySnapshot.connection_id == conn_id, DailySnapshot.day == now)
    ).first()


def test_a_missed_daily_fanout_is_caught_up_exactly_once(app: Any, link: Any, world: Any) -> None:
    """The cron process was down across 03:00: from 04:00 UTC the hourly catch-up queues today's daily
    job for every connection without a run today, under the fan-out's own ids, once."""
    from datetime import UTC, datetime

    import time_machine

    from app.models.sync import SyncRun

    ids = [link(p)[0] for p in ("instagram", "tiktok")]
    drain(app)  # the initial syncs, today
    world.advance_days(1)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    queue = Queue("sync", connection=get_redis())
    with time_machine.travel(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 2, 30, tzinfo=UTC), tick=True):
        assert sync_jobs.catch_up_daily() == 0  # before 04:00: the fan-out's own hour is not over
    with time_machine.travel(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 5, 35, tzinfo=UTC), tick=True):
        assert sync_jobs.catch_up_daily() == 2
        assert sync_jobs.catch_up_daily() == 2  # counted as queued again, but not added:
        assert sorted(queue.job_ids) == sorted(dispatch.daily_sync_job_id(i, tomorrow) for i in ids)
        drain(app)
        assert sync_jobs.catch_up_daily() == 0  # every connection has its run today
    for conn_id in ids:
        day_runs = (
            db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id, SyncRun.day == tomorrow))
            .scalars()
            .all()
        )
        assert [r.trigger for r in day_runs] == ["daily"]
        assert db.session.execute(
            select(DailySnapshot.day).where(DailySnapshot.connection_id == conn_id, DailySnapshot.day == tomorrow)
        ).all() == [(tomorrow,)]


def test_history_rebuild_writes_only_the_days_that_change(app: Any, link: Any, world: Any) -> None:
    """The rebuild hands the upsert only the days it would write (bench/README.md, "Sync CPU, third
    pass"): nothing when nothing changed; when a day's net change is corrected at the platform, exactly
    the backfilled days before it move, by the correction."""
    from sqlalchemy import event

    from app.sync import storage

    conn_id, _ = link("facebook", trajectory="growth")
    drain(app)

    def snapshots() -> dict[date, tuple[int, str]]:
        rows = db.session.execute(
            select(DailySnapshot.day, DailySnapshot.followers, DailySnapshot.provenance).where(
                DailySnapshot.connection_id == conn_id
            )
        ).all()
        return {d: (f, p) for d, f, p in rows}

    writes: list[str] = []

    def seen(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DAILY_SNAPSHOTS"):
            writes.append(statement)

    before = snapshots()
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert storage.rebuild_history(conn_id, "facebook") > 300
        db.session.commit()
        assert writes == []  # nothing changed: nothing sent
        assert snapshots() == before
        backfilled = sorted(d for d, (_f, p) in before.items() if p == "backfilled")
        corrected = backfilled[len(backfilled) // 2]
        gained = db.session.execute(
            select(AccountInsight).where(
                AccountInsight.connection_id == conn_id,
                AccountInsight.day == corrected,
                AccountInsight.metric == "followers_gained",
            )
        ).scalar_one()
        gained.value += 5
        db.session.commit()
        storage.rebuild_history(conn_id, "facebook")
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(writes) == 1
    after = snapshots()
    for day, (followers, provenance) in before.items():
        moved = provenance == "backfilled" and day < corrected
        assert after[day] == ((followers - 5, provenance) if moved else (followers, provenance)), day
