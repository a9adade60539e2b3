"""End to end: real syncs against the sandbox, run by a real RQ worker, raise alerts through the job the
sync queues (issue 7: rules are evaluated after each sync)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import DailySnapshot, OutboxEmail
from app.models.alert import Alert
from app.queueing.dispatch import enqueue_sync
from tests.sync.conftest import drain


def test_a_milestone_crossed_between_two_daily_syncs_raises_one_alert_and_emails(app, link, world):
    conn_id, account = link("tiktok", followers=995, daily_changes=[1] * 40)
    drain(app)  # the initial sync measures 995 today
    world.advance_days(1)
    world.patch_account(account["id"], followers=1_007)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=True):
        assert enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-e2e-day2")
        drain(app)  # sync, then the alert evaluation it queues
        drain(app)  # and the email deliveries the alert queues
    days = db.session.execute(
        select(DailySnapshot.day, DailySnapshot.followers, DailySnapshot.provenance)
        .where(DailySnapshot.connection_id == conn_id, DailySnapshot.provenance == "measured")
        .order_by(DailySnapshot.day)
    ).all()
    assert [f for _, f, _ in days][-2:] == [995, 1_007]
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    # once per threshold and scope: the TikTok account, and the client's total (its only account)
    assert sorted(a.details["scope"] for a in alerts) == ["tiktok", "total"]
    assert all(a.details["threshold"] == 1_000 for a in alerts)
    kinds = db.session.execute(select(OutboxEmail.kind, OutboxEmail.to_address)).all()
    assert any(addr == "coach@example.com" for _, addr in kinds)  # the coach hears about it
    assert any(addr == "creator@example.com" for _, addr in kinds)  # and the client celebrates
    # a second sync the same day changes nothing
    with time_machine.travel(tomorrow + timedelta(hours=2), tick=True):
        assert enqueue_sync(conn_id, "operator", job_id=f"sync-{conn_id}-e2e-again")
        drain(app)
        drain(app)
    assert len(db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()) == 2


@pytest.mark.parametrize("platform", ["tiktok", "instagram", "linkedin", "x"])
def test_a_milestone_crossed_between_two_syncs_of_the_connect_day_raises_its_alert(app, link, world, platform):
    """The day before the connect day is a gap (TikTok) or backfilled (Instagram): not real data, so the
    crossing is measured from the day's first sync (``opening_followers``), not lost."""
    conn_id, account = link(platform, followers=9_995, daily_changes=[2] * 40)
    drain(app)  # the initial sync measures 9,995 today (and backfills Instagram's history)
    drain(app)
    assert db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all() == []
    world.patch_account(account["id"], followers=10_004)
    now = datetime.now(UTC)
    # later the same (UTC) day: 30 minutes on, or half-way to midnight when the suite runs late in the day
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(now + min(timedelta(minutes=30), (midnight - now) / 2), tick=True):
        assert enqueue_sync(conn_id, "manual", job_id=f"sync-{conn_id}-same-day")
        drain(app)  # the second sync of the day, then its alert evaluation
        drain(app)
    today = db.session.execute(
        select(DailySnapshot.followers, DailySnapshot.opening_followers).where(
            DailySnapshot.connection_id == conn_id, DailySnapshot.provenance == "measured"
        )
    ).all()
    assert today == [(10_004, 9_995)]
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    assert sorted(a.details["scope"] for a in alerts) == sorted([platform, "total"])
    assert all(a.details["threshold"] == 10_000 and a.details["previous"] == 9_995 for a in alerts)
    assert any(addr == "creator@example.com" for (addr,) in db.session.execute(select(OutboxEmail.to_address)))
