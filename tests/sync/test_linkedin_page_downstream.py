"""A LinkedIn Company Page end to end in the coach's portfolio and leaderboard, in goals (the client's
and the coach's) and in the alerts: connected through the member's OAuth and the Page picker, synced
by a real RQ worker against the sandbox, numbers computed by hand from the sandbox's truths.

The Page has half its administrator's followers (``followers_percent`` 50); the administrator gains 4
a day, so the Page has 2,100 today and gained exactly 2 a day (its daily ``followerGains`` backfill the
history, docs/sync.md "Backfill"); yesterday, the last day LinkedIn gives gains for, carries today's
count: followers(d) = 2,100 - 2 x (days from d to yesterday)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, OutboxEmail
from app.models.alert import Alert
from app.queueing.dispatch import enqueue_sync
from tests.support.connect import connect, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs

PAGE = "urn:li:organization:555001"


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _connect_page(app: Flask, client: Any, world: SandboxControl, member_followers: int, gain: int) -> tuple[int, str]:
    """The member administering the Page connects it (the picker); the initial sync by a worker."""
    acc = world.create_account("linkedin", "li.admin", member_followers, seed=21, daily_changes=[gain] * 120)
    world.linkedin_organizations(acc["id"], [{"name": "Acme Studio", "id": "555001", "followers_percent": 50}])
    client.login("creator@example.com")
    picker = connect(client, world, "linkedin", acc["id"]).headers["Location"]
    resp = client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": PAGE})
    assert resp.status_code == 303
    db.session.expire_all()
    conn = db.session.execute(select(Connection)).scalar_one()
    assert (conn.platform, conn.account_type, conn.platform_user_id) == ("linkedin", "organization", PAGE)
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message)
    return conn.id, acc["id"]


def _followers(days_back: int) -> int:
    """The Page's followers ``days_back`` days ago (the hand computation of the module docstring)."""
    return 2_100 - 2 * max(days_back - 1, 0)


def test_a_page_in_the_portfolio_the_leaderboard_and_goals(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    _connect_page(app, client, world, 4_200, 4)
    today: date = datetime.now(UTC).date()
    start30, start90 = _followers(30), _followers(90)
    assert (start30, start90) == (2_042, 1_922)
    rate30 = (2_100 - start30) / start30 * 100

    # the client's goals: 2,500 Page followers. The recent pace is the gain over 28 days: (2,100 - 2,046)
    # / 28 a day, 400 to go -> ceil(400 / (54 / 28)) = 208 days: on track for a year, off track for 180 days
    pace = (2_100 - _followers(28)) / 28
    forecast = today + timedelta(days=math.ceil(400 / pace))
    assert forecast == today + timedelta(days=208)
    year, half = (today + timedelta(days=365)).isoformat(), (today + timedelta(days=180)).isoformat()
    for day in (year, half):
        resp = client.post(
            "/portal/analytics/goals", data={"target": "2500", "platform": "linkedin", "target_date": day}
        )
        assert resp.status_code == 303
    page = client.get("/portal/analytics").get_data(as_text=True)
    assert f"2,500 LinkedIn followers by {year}</strong>" in page
    assert f"now 2,100; at the recent pace you reach it on {forecast.isoformat()}" in page
    assert page.count("On track") == 1
    assert page.count("Off track") == 1

    client.logout()
    client.login("coach@example.com")
    goals = {g["target_date"]: g for g in client.get(f"/api/admin/social/clients/{creator.id}").get_json()["goals"]}
    assert {d: (g["platform"], g["current"], g["state"]) for d, g in goals.items()} == {
        year: ("linkedin", 2_100, "on_track"),
        half: ("linkedin", 2_100, "off_track"),
    }
    assert goals[year]["forecast"] == forecast.isoformat()
    detail = client.get(f"/admin/clients/{creator.id}").get_data(as_text=True)
    assert f"2,500 LinkedIn followers by {year}" in detail

    pf = client.get("/api/admin/social/portfolio?platform=linkedin&range=30d").get_json()
    assert (pf["total_followers"], pf["platform_totals"], pf["clients"]) == (2_100, {"linkedin": 2_100}, 1)
    assert (pf["period_change"]["start"], pf["period_change"]["net"]) == (start30, 2_100 - start30)
    assert pf["period_change"]["growth_rate"] == pytest.approx(rate30)
    assert pf["average_growth_rate_90d"] == pytest.approx((2_100 - start90) / start90 * 100)
    points = {p["day"]: p["followers"] for p in pf["series"]["points"]}
    for back in (0, 1, 2, 15, 29):
        assert points[(today - timedelta(days=back)).isoformat()] == _followers(back), back

    board = client.get("/api/admin/social/leaderboard?platform=linkedin").get_json()
    [row] = board["items"]
    assert (row["rank"], row["client_id"], row["followers"], row["top_platform"]) == (1, creator.id, 2_100, "linkedin")
    assert (row["change"]["start"], row["change"]["end"], row["change"]["net"]) == (start30, 2_100, 58)
    assert row["change"]["growth_rate"] == pytest.approx(rate30)
    html = client.get("/admin/portfolio?platform=linkedin").get_data(as_text=True)
    assert f'data-testid="portfolio-total">2,100</p><p class="muted">+58 (+{rate30:.1f}%) last 30 days' in html
    assert f"<td>2,100</td><td>+{rate30:.1f}% (+58)</td><td>LinkedIn</td>" in html


def test_a_page_milestone_reaches_the_alert_feed_and_the_emails(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    """The administrator has 19,990 followers, so the Page 9,995; at the day's second sync 20,008, so
    the Page 10,004: the 10K threshold is crossed between the two (docs/alerts.md)."""
    conn_id, member = _connect_page(app, client, world, 19_990, 2)
    drain(app)
    assert db.session.get(Connection, conn_id).profile_stats["followers"] == 9_995
    assert db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all() == []
    world.patch_account(member, followers=20_008)
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(now + min(timedelta(minutes=30), (midnight - now) / 2), tick=True):
        assert enqueue_sync(conn_id, "manual", job_id=f"sync-{conn_id}-same-day")
        drain(app)  # the sync, then the alert evaluation it queues
        drain(app)  # and the emails the alert queues
    assert db.session.get(Connection, conn_id).profile_stats["followers"] == 10_004
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    assert sorted(a.details["scope"] for a in alerts) == ["linkedin", "total"]
    assert all(a.details["threshold"] == 10_000 and a.details["previous"] == 9_995 for a in alerts)
    [mine] = [a for a in alerts if a.details["scope"] == "linkedin"]
    assert (mine.platform, mine.connection_id, mine.client_id) == ("linkedin", conn_id, creator.id)
    mails = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "alert_milestone")).scalars().all()
    assert {m.to_address for m in mails} == {"coach@example.com", "creator@example.com"}

    client.logout()
    client.login("coach@example.com")
    feed = client.get("/api/admin/social/alerts?platform=linkedin&type=MILESTONE").get_json()
    [item] = feed["alerts"]
    assert (item["id"], item["platform"], item["client_name"]) == (mine.id, "linkedin", "Cara Creator")
    assert item["details"]["threshold"] == 10_000
    assert item["title"] in client.get("/admin/alerts?platform=linkedin").get_data(as_text=True)
    assert client.get("/api/admin/social/alerts?platform=x").get_json()["alerts"] == []
