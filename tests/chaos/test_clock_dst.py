"""Chaos (issue "Reliability"): the hourly cron table walked across DST weekends and a cron outage.

The cron table's own entries (``app.cron.SCHEDULE``: the weekly-report fan-out at :05 every hour, the
daily sync fan-out at 03:00 UTC, the catch-up at :35) are fired at the times RQ's cron scheduler would
fire them (croniter over UTC, as ``rq.cron`` does), with the clock moved by time-machine, across the
spring-forward and fall-back weekends of clients in New York, Berlin, Adelaide and Lord Howe (a 30-minute
DST shift), and once with the cron process down across 03:00 UTC. Each client gets one weekly report
per ISO week, each connection one daily sync job per day: nothing twice, nothing skipped.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from croniter import croniter
from sqlalchemy import select

from app.cron import SCHEDULE, _resolve
from app.extensions import db
from app.models.report import Report
from app.queueing import dispatch
from app.queueing.queues import get_queue
from app.reports.service import WEEKLY_HOURS, week_key

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Adelaide", "Australia/Lord_Howe", "UTC")
#: the DST Sundays of 2027 for those zones (spring forward, then fall back)
TRANSITIONS = (
    date(2027, 3, 14),  # New York forward
    date(2027, 3, 28),  # Berlin forward
    date(2027, 4, 4),  # Adelaide / Lord Howe back
    date(2027, 10, 3),  # Adelaide / Lord Howe forward
    date(2027, 10, 31),  # Berlin back
    date(2027, 11, 7),  # New York back
)
ENTRIES = ("reports-weekly", "sync-daily-fanout", "sync-catch-up")
#: the cron process is down from 02:10 to 06:20 UTC on the New York spring-forward Sunday
OUTAGE = (datetime(2027, 3, 14, 2, 10, tzinfo=UTC), datetime(2027, 3, 14, 6, 20, tzinfo=UTC))


def _firings(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """(when, entry name) for every firing of the walked entries in [start, end), in order."""
    out = []
    for entry in SCHEDULE:
        if entry.name not in ENTRIES:
            continue
        assert entry.cron is not None
        it = croniter(entry.cron, start - timedelta(seconds=1))
        while (at := it.get_next(datetime)) < end:
            out.append((at, entry.name))
    return sorted(out)


def _windows() -> list[tuple[datetime, datetime]]:
    """Friday 00:00 UTC to Tuesday 20:00 UTC around each transition Sunday (Monday morning everywhere)."""
    return [
        (
            datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(days=2),
            datetime(d.year, d.month, d.day, 20, tzinfo=UTC) + timedelta(days=2),
        )
        for d in TRANSITIONS
    ]


def test_cron_across_dst_weekends_and_an_outage_runs_everything_once(app: Any, factory: Any, link_many: Any) -> None:
    coach = factory.coach(email="dst-coach@example.com")
    clients = {}
    for n, zone in enumerate(ZONES):
        c = factory.client(coach=coach, email=f"dst{n}@example.com", name=f"DST {zone}")
        c.time_zone = zone
        clients[c.id] = zone
    db.session.commit()
    conn_ids = [conn_id for conn_id, _, _ in link_many(2)]
    sync_q, reports_q = get_queue("sync"), get_queue("reports")
    sync_q.empty()  # the initial syncs are not under test

    funcs = {e.name: _resolve(e.func) for e in SCHEDULE if e.name in ENTRIES}
    fired: Counter[str] = Counter()
    expected_days: set[date] = set()
    expected_weeks: dict[int, set[str]] = {cid: set() for cid in clients}
    for start, end in _windows():
        for at, name in _firings(start, end):
            if OUTAGE[0] <= at < OUTAGE[1]:
                continue
            with time_machine.travel(at, tick=False):
                funcs[name]()
            fired[name] += 1
            if name == "sync-daily-fanout" or (name == "sync-catch-up" and at.hour >= 4):
                expected_days.add(at.date())
            if name == "reports-weekly":
                for cid, zone in clients.items():
                    local = at.astimezone(ZoneInfo(zone))
                    if local.weekday() == 0 and local.hour in WEEKLY_HOURS:
                        expected_weeks[cid].add(week_key(local.date()))

    assert fired["sync-daily-fanout"] == len(TRANSITIONS) * 5 - 1  # one 03:00 lost to the outage
    # the outage Sunday is still synced (caught up at 06:35), every walked day once per connection
    assert date(2027, 3, 14) in expected_days
    want = sorted(dispatch.daily_sync_job_id(c, d) for c in conn_ids for d in expected_days)
    assert sorted(sync_q.job_ids) == want
    # one weekly report per client per ISO week, whatever the offset did that weekend
    reports = db.session.execute(select(Report.client_id, Report.week_key).where(Report.kind == "weekly")).all()
    per_week = Counter(reports)
    assert all(n == 1 for n in per_week.values()), per_week
    assert {cid: {k for c, k in per_week if c == cid} for cid in clients} == expected_weeks
    assert all(len(weeks) == len(TRANSITIONS) for weeks in expected_weeks.values()), expected_weeks
    # one queued job per chunk of a fan-out's clients (app.reports.chunks), every report named by its chunk's
    chunk_ids = db.session.execute(select(Report.job_id).where(Report.kind == "weekly")).scalars().all()
    assert None not in chunk_ids
    assert sorted(reports_q.job_ids) == sorted(set(chunk_ids))
