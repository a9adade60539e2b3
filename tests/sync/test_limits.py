"""Limits (J7, J8): full-jitter backoff and the retry budget, the per-platform breaker, Meta's usage gate,
and YouTube's quota (3 units for a daily sync with 50 new videos; quotaExceeded defers to 00:00 PT)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import time_machine
from rq.job import Job

from app.platforms.http import parse_retry_after
from app.queueing.queues import get_queue
from app.redis_conn import get_redis
from app.sync import comments as comment_sync
from app.sync import engine
from app.sync.backoff import Backoff
from app.sync.breaker import Breaker
from app.sync.quotas import PACIFIC, next_pacific_midnight
from tests.sync.conftest import counts, drain, run_scheduled, runs

# --------------------------------------------------------------------------- backoff


@pytest.mark.parametrize("attempt", [0, 1, 3, 5, 10])
def test_full_jitter_stays_under_the_capped_ceiling_and_spreads(attempt: int) -> None:
    policy = Backoff(base=30, cap=3600, budget=5)
    ceiling = min(3600, 30 * 2**attempt)
    delays = [policy.delay(attempt) for _ in range(1000)]
    assert all(0 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 900  # jittered, not one value
    assert max(delays) > ceiling * 0.8
    assert min(delays) < ceiling * 0.2


def test_retry_after_seconds_and_http_date_are_a_floor() -> None:
    policy = Backoff(base=30, cap=3600)
    hint = parse_retry_after("120")
    assert hint == 120
    assert all(120 <= policy.delay(0, hint) <= 120 + 13 for _ in range(200))
    now = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    date_hint = parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now)
    assert date_hint == 90
    assert all(90 <= policy.delay(3, date_hint) <= 90 + 10 for _ in range(200))
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retry_budget_of_five_stops_the_chain(app: Any, link: Any, world: Any) -> None:
    """The first run plus 5 retries, then the run says so and nothing more is scheduled."""
    conn_id, _ = link("tiktok")
    drain(app)
    app.config["SYNC_BREAKER_THRESHOLD"] = 100  # this test is about the budget, not the breaker
    world.add_fault("tiktok", "server_error", times=50, path_contains="/user/info/")
    assert engine.sync(conn_id, "operator").status == "failed"
    rounds = 0
    while run_scheduled(app):
        rounds += 1
        drain(app)
        assert rounds <= 6
    operator = [r for r in runs(conn_id) if r.trigger == "operator"]
    assert [r.details["attempt"] for r in operator] == [0, 1, 2, 3, 4, 5]
    assert rounds == 5  # five retries, no sixth
    assert "retries used up" in (operator[-1].error_message or "")
    assert operator[-1].deferred_until is None
    assert Backoff(budget=5).exhausted(5)
    assert not Backoff(budget=5).exhausted(4)


# --------------------------------------------------------------------------- breaker


def test_breaker_opens_after_k_failures_skips_without_calls_and_closes(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("tiktok")
    drain(app)
    before = counts(conn_id)
    app.config.update(SYNC_BREAKER_THRESHOLD=3, SYNC_BREAKER_OPEN_SECONDS=2)
    world.add_fault("tiktok", "server_error", times=3, path_contains="/user/info/")
    for _ in range(3):
        assert engine.sync(conn_id, "operator").status == "failed"
    assert Breaker(get_redis(), "tiktok").open_until() is not None
    world.clear_calls()
    deferred = engine.sync(conn_id, "operator")
    assert deferred.status == "deferred"
    assert deferred.message == "breaker_open"
    assert world.calls("tiktok") == []  # not one HTTP call while open
    assert runs(conn_id)[-1].error_class == "breaker_open"
    assert Breaker(get_redis(), "instagram").open_until() is None  # per platform
    time.sleep(2.2)
    assert Breaker(get_redis(), "tiktok").open_until() is None
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert world.calls("tiktok")
    assert counts(conn_id)["snapshots"] == 1
    assert counts(conn_id)["items"] == before["items"]


def test_syncs_deferred_by_an_open_breaker_come_back_spread_out(app: Any, link: Any) -> None:
    ids = [link(p)[0] for p in ("tiktok",)]
    drain(app)
    breaker = Breaker(get_redis(), "tiktok", threshold=1, open_seconds=120)
    breaker.record_failure()
    opened = breaker.open_until()
    assert opened is not None
    waits = []
    for _ in range(12):
        before = time.time()
        wait = engine.sync(ids[0], "operator").retry_in
        assert wait is not None
        assert wait >= opened - time.time()  # never back before the breaker closes
        hint = opened - before + 1
        assert wait <= hint + min(60, hint / 10 + 1)  # the hint plus at most its jitter (backoff.py)
        waits.append(wait)
    assert len({round(w, 1) for w in waits}) > 6, waits  # not all in the same second


def test_breaker_success_resets_the_count(app: Any) -> None:
    breaker = Breaker(get_redis(), "youtube", threshold=3, open_seconds=60)
    assert not breaker.record_failure()
    assert not breaker.record_failure()
    breaker.record_success()
    assert not breaker.record_failure()
    assert not breaker.record_failure()
    assert breaker.record_failure()
    assert breaker.open_until() is not None


# --------------------------------------------------------------------------- Meta usage headers


def test_meta_usage_headers_are_remembered_and_gate_the_next_sync(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("instagram")
    drain(app)
    redis = get_redis()
    usage = redis.get("meta:usage")
    assert usage is not None
    assert 0 <= float(usage) < 80
    # another worker saw 96 %: the next sync is deferred before it makes a single call
    redis.set("meta:usage", "96")
    world.clear_calls()
    result = engine.sync(conn_id, "operator")
    assert result.status == "deferred"
    assert result.retry_in is not None
    assert result.retry_in >= 300
    assert world.calls("instagram") == []
    # 85 %: the call goes on, slowed down, until a fresh answer brings the usage back under 80 %
    redis.set("meta:usage", "85")
    app.config["SYNC_META_SLOWDOWN_SECONDS"] = 0.5
    started = time.monotonic()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert world.calls("instagram")
    assert time.monotonic() - started >= 0.5
    assert float(redis.get("meta:usage") or 0) < 80


# --------------------------------------------------------------------------- YouTube quota


def _units(world: Any) -> int:
    return sum(int(c.get("quota_units") or 0) for c in world.calls("youtube"))


def test_youtube_daily_sync_of_50_new_videos_costs_at_most_3_units(app: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = [
        {
            "published_at": (now - timedelta(days=d)).isoformat().replace("+00:00", "Z"),
            "caption": f"old {d}",
            "kind": "video",
            "view_count": 1000 + d,
        }
        for d in (10, 20, 40, 120)
    ]
    conn_id, account = link("youtube", posts=old)
    drain(app)
    assert counts(conn_id)["items"] == 4
    new = [
        {
            "published_at": (now - timedelta(minutes=5 + i)).isoformat().replace("+00:00", "Z"),
            "caption": f"new {i} 🎬",
            "kind": "video",
            "view_count": 10 + i,
        }
        for i in range(50)
    ]
    world.patch_account(account["id"], posts=new)
    world.clear_calls()
    quota_before = world.quota()
    result = engine.sync(conn_id, "daily")
    assert result.status in ("succeeded", "partial"), result
    paths = [c["path"] for c in world.calls("youtube")]
    assert not any("/search" in p for p in paths)
    # the content plan costs at most 3 units; the comment step (docs/sync.md) reads at most MAX_POSTS
    # videos at 1 unit each (no thread here has more replies than nested)
    content_units = sum(int(c.get("quota_units") or 0) for c in world.calls("youtube") if "/comment" not in c["path"])
    comment_calls = [p for p in paths if "/commentThreads" in p]
    assert content_units <= 3, paths
    assert len(comment_calls) <= comment_sync.MAX_POSTS  # new videos with no comments yet are skipped
    assert runs(conn_id)[-1].quota_units == content_units + len(comment_calls)
    assert world.quota() != quota_before  # the sandbox's own counter moved by the same units
    assert counts(conn_id)["items"] == 54


def test_youtube_quota_exceeded_at_3pm_pacific_defers_past_midnight_pacific(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("youtube")
    drain(app)
    today_pt = datetime.now(UTC).astimezone(PACIFIC).date()
    at_3pm = datetime(today_pt.year, today_pt.month, today_pt.day, 15, 0, tzinfo=PACIFIC)
    midnight = next_pacific_midnight(at_3pm.astimezone(UTC))
    assert midnight.astimezone(PACIFIC).hour == 0
    assert midnight - at_3pm == timedelta(hours=9)
    world.set_clock(now=at_3pm.astimezone(UTC).isoformat())
    world.add_fault("youtube", "quota_exceeded", path_contains="/youtube/v3/channels")
    with time_machine.travel(at_3pm, tick=True):
        result = engine.sync(conn_id, "daily")
    assert result.status == "deferred"
    run = runs(conn_id)[-1]
    until = run.deferred_until.replace(tzinfo=UTC) if run.deferred_until.tzinfo is None else run.deferred_until
    assert midnight <= until <= midnight + timedelta(seconds=120)
    registry = get_queue("sync").scheduled_job_registry
    scheduled = [registry.get_scheduled_time(j) for j in registry.get_job_ids()]
    assert len(scheduled) == 1
    when = scheduled[0] if scheduled[0].tzinfo else scheduled[0].replace(tzinfo=UTC)
    assert when >= midnight  # no retry before the quota resets


def test_a_sync_that_lost_its_lock_is_scheduled_again(app: Any, link: Any, world: Any) -> None:
    """The card says "it will run again": the engine schedules that run (skipped if another worker's
    sync of the connection succeeded meanwhile)."""
    conn_id, _ = link("tiktok")
    drain(app)
    app.config["SYNC_LOCK_TTL_SECONDS"] = 1
    world.set_latency(1500)  # every call outlives the lock
    result = engine.sync(conn_id, "operator")
    world.set_latency(0)
    assert result.status == "failed"
    assert runs(conn_id)[-1].error_class == "lock_lost"
    assert result.retry_in is not None
    [job_id] = get_queue("sync").scheduled_job_registry.get_job_ids()
    job = Job.fetch(job_id, connection=get_redis())
    assert job.args[0] == conn_id
    assert job.args[3] is not None
