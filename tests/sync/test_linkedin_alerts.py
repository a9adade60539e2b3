"""A LinkedIn milestone and a LinkedIn decline raised by real syncs reach the alert feed (API and
page) and the emails, as Facebook's milestone does (tests/sync/test_facebook_downstream.py).
Milestone: the member had 9,995 followers at the connect day's first sync and 10,004 at its second, so
the 10K threshold is crossed between the two (docs/alerts.md: the connect day compares with the day's
first sync, ``opening_followers``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxEmail
from app.models.alert import Alert
from app.queueing.dispatch import enqueue_sync
from tests.sync.conftest import drain


def test_a_linkedin_milestone_from_a_sync_reaches_the_feed_and_the_emails(
    app: Any, link: Any, world: Any, client: Any
) -> None:
    conn_id, account = link("linkedin", followers=9_995, daily_changes=[2] * 40)
    drain(app)
    drain(app)
    assert db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all() == []
    world.patch_account(account["id"], followers=10_004)
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(now + min(timedelta(minutes=30), (midnight - now) / 2), tick=True):
        assert enqueue_sync(conn_id, "manual", job_id=f"sync-{conn_id}-same-day")
        drain(app)  # the sync, then the alert evaluation it queues
        drain(app)  # and the emails the alert queues
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    assert sorted(a.details["scope"] for a in alerts) == ["linkedin", "total"]
    assert all(a.details["threshold"] == 10_000 and a.details["previous"] == 9_995 for a in alerts)
    [mine] = [a for a in alerts if a.details["scope"] == "linkedin"]
    assert mine.platform == "linkedin"
    assert mine.connection_id == conn_id

    # the emails: the coach hears of each alert (the LinkedIn one and the total), the client celebrates
    mails = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "alert_milestone")).scalars().all()
    assert {m.to_address for m in mails} == {"coach@example.com", "creator@example.com"}
    about_linkedin = [m for m in mails if "LinkedIn" in m.subject]
    assert {m.to_address for m in about_linkedin} == {"coach@example.com", "creator@example.com"}
    for mail in about_linkedin:
        assert "10K" in f"{mail.subject}\n{mail.body_text}", mail.to_address

    # the feed: the API filtered on LinkedIn, and the page
    client.logout()
    client.login("coach@example.com")
    feed = client.get("/api/admin/social/alerts?platform=linkedin&type=MILESTONE").get_json()
    [item] = feed["alerts"]
    assert (item["id"], item["platform"], item["type"], item["client_name"]) == (
        mine.id,
        "linkedin",
        "MILESTONE",
        "Cara Creator",
    )
    assert item["details"]["threshold"] == 10_000
    assert "LinkedIn" in item["title"]
    page = client.get("/admin/alerts?platform=linkedin").get_data(as_text=True)
    assert item["title"] in page
    assert client.get("/api/admin/social/alerts?platform=facebook").get_json()["alerts"] == []


def test_a_linkedin_decline_over_a_week_of_syncs_reaches_the_feed_and_the_coach(
    app: Any, link: Any, world: Any, client: Any
) -> None:
    """Eight daily syncs (the connect day and seven more) measure 1,000 then 10 fewer each day: on the
    seventh day the week's net change is 930 - 1,000 = -70, a rate of -7 %, below -5 %: one critical
    GROWTH_DECLINE for the LinkedIn connection (docs/alerts.md), none before (no measured day 7 back)."""
    conn_id, account = link("linkedin", followers=1_000, daily_changes=[1] * 40)
    drain(app)
    drain(app)
    start = datetime.now(UTC)
    for day in range(1, 8):
        world.advance_days(1)
        world.patch_account(account["id"], followers=1_000 - 10 * day)
        with time_machine.travel(start + timedelta(days=day), tick=True):
            assert enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-day-{day}")
            drain(app)
            drain(app)
        declines = db.session.execute(select(Alert).where(Alert.type == "GROWTH_DECLINE")).scalars().all()
        assert len(declines) == (1 if day == 7 else 0), (day, [a.details for a in declines])
    [decline] = declines
    assert (decline.platform, decline.connection_id, decline.severity) == ("linkedin", conn_id, "critical")
    details = decline.details
    assert (details["followers"], details["followers_7d_ago"], details["net_7d"]) == (930, 1_000, -70)
    assert details["rate_7d"] == -7.0
    mails = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "alert_growth_decline")).scalars().all()
    assert [m.to_address for m in mails] == ["coach@example.com"]
    assert "LinkedIn" in f"{mails[0].subject}\n{mails[0].body_text}"
    client.logout()
    client.login("coach@example.com")
    feed = client.get("/api/admin/social/alerts?platform=linkedin&type=GROWTH_DECLINE").get_json()
    assert [a["id"] for a in feed["alerts"]] == [decline.id]
