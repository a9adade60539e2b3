"""YouTube's rounded subscriber counts (issue "Numbers that are true"): days of real syncs against the
sandbox (which rounds as YouTube does and whose analytics are exact), walked with time travel across
rounding boundaries both ways; every stored number and every alert is checked against the sandbox's
own truth, computed here independently of the code under test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, DailySnapshot, Goal
from app.models.alert import Alert
from app.queueing.dispatch import enqueue_sync
from app.stats.goals import goal_status
from app.stats.series import load_histories
from tests.sync.conftest import drain

HISTORY = [(i % 5) - 2 for i in range(60)]  # small ups and downs before the connect day


def floor3(n: int) -> int:
    if n < 1000:
        return n
    return int(str(n)[:3]) * 10 ** (len(str(n)) - 3)


def truth_by_day(world: Any, account_id: str) -> dict[date, int]:
    detail = world.account(account_id, history=True)
    day, count = date.fromisoformat(detail["history_start"]), int(detail["followers_at_history_start"])
    out: dict[date, int] = {day - timedelta(days=1): count}
    for change in detail["daily_changes"]:
        count += int(change)
        out[day] = count
        day += timedelta(days=1)
    return out


def walk(app: Any, world: Any, conn_id: int, account_id: str, levels: list[int]) -> None:
    """One daily sync (and the alert evaluation it queues) per day, the channel at ``levels[i]`` on day i+1."""
    start = datetime.now(UTC)
    for i, level in enumerate(levels, start=1):
        world.advance_days(1)
        world.patch_account(account_id, followers=level)
        with time_machine.travel(start + timedelta(days=i), tick=True):
            assert enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-walk-{i}")
            drain(app)  # the sync
            drain(app)  # the alert evaluation it queued (and any email)


def stored(conn_id: int) -> list[Any]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(DailySnapshot).where(DailySnapshot.connection_id == conn_id).order_by(DailySnapshot.day)
        ).scalars()
    )


def test_a_channel_crossing_rounding_boundaries_gets_exact_changes_and_no_false_alerts(app, link, world):
    conn_id, account = link("youtube", followers=302_990, daily_changes=HISTORY, seed=21)
    drain(app)  # the initial sync: today's rounded count and a year of exact daily gains and losses
    drain(app)
    walk(
        app,
        world,
        conn_id,
        account["id"],
        [302_996, 303_004, 303_001, 302_999, 302_995, 303_010, 303_002, 302_998, 302_990, 303_000],
    )
    truth = truth_by_day(world, account["id"])
    rows = stored(conn_id)
    measured = [r for r in rows if r.provenance == "measured"]
    assert len(measured) == 11
    by_day = {r.day: r for r in rows}
    exact_days = 0
    for row in rows:
        true = truth[row.day]
        if row.provenance == "measured":
            assert row.reported_followers == floor3(true), row.day  # what YouTube said, kept as said
        low = row.followers_low if row.followers_low is not None else row.followers
        high = row.followers_high if row.followers_high is not None else row.followers
        assert low <= true <= high, (row.day, low, true, high)
        before = by_day.get(row.day - timedelta(days=1))
        if before is not None and row.linked_since is not None and row.linked_since < row.day:
            # the change from the day before is exactly known: it is the true one, whatever the rounding
            assert row.followers - before.followers == true - truth[row.day - timedelta(days=1)], row.day
            exact_days += 1
    assert exact_days >= len(HISTORY)  # the backfilled history and the walked days past the analytics lag
    # the walk crossed 303,000 both ways: the interval of the true level narrowed to a few followers
    run_start = min(r.linked_since for r in measured)
    in_run = [r for r in measured if r.linked_since == run_start]
    assert len(in_run) >= 5  # the connect day and the walked days the analytics reached
    assert all(r.followers_high - r.followers_low < 20 for r in in_run), [
        (r.followers_low, r.followers_high) for r in in_run
    ]
    # alerts: none from a change that is not exact and smaller than a rounding step; exact ones are true
    for alert in db.session.execute(select(Alert).where(Alert.connection_id == conn_id)).scalars():
        details = alert.details or {}
        if "net_7d" not in details:
            continue
        if details["approximate"]:
            assert abs(details["net_7d"]) >= 1_000, alert.message
        else:
            assert details["net_7d"] == truth[alert.day] - truth[alert.day - timedelta(days=7)], alert.message
    assert not [a for a in db.session.execute(select(Alert)).scalars() if "1,000 followers" in a.message]


def test_a_threshold_is_reached_only_when_the_rounded_count_proves_it(app, link, world):
    conn_id, account = link("youtube", followers=99_950, daily_changes=HISTORY, seed=22)
    drain(app)
    drain(app)
    walk(app, world, conn_id, account["id"], [99_990, 100_003, 99_998, 100_010, 100_020])
    truth = truth_by_day(world, account["id"])
    milestones = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    assert sorted(a.details["scope"] for a in milestones) == ["total", "youtube"]  # once per scope, ever
    for alert in milestones:
        assert alert.details["threshold"] == 100_000
        assert alert.details["followers"] >= 100_000
        assert truth[alert.day] >= 100_000  # reached for real on the day it says
    day = max(d for d in truth if truth[d] == 100_003)
    rows = {r.day: r for r in stored(conn_id)}
    assert rows[day].reported_followers == 100_000
    assert rows[day - timedelta(days=1)].reported_followers == 99_900  # 99,990: one step below
    # the goal state uses the least the count can be: never "achieved" on a rounding step
    conn = db.session.get(Connection, conn_id)
    history = load_histories([conn])[conn.client_id]
    last = max(rows)
    goal = Goal(client_id=conn.client_id, platform="youtube", target=100_021, target_date=last + timedelta(days=30))
    assert goal_status(goal, history, last).state != "achieved"  # truth 100,020: one short
    goal.target = rows[last].followers_low or rows[last].followers
    assert goal_status(goal, history, last).state == "achieved"
