"""X end to end downstream: connected through the real OAuth 2.0 + PKCE round trip, synced by a real RQ
worker against the sandbox on the connect day, 23 days later and 30 days later (the product's clock
moved with the sandbox's), then the X platform page, a goal's progress, the coach's portfolio and
leaderboard show the numbers computed by hand from the sandbox world's truth.

X gives no follower history (docs/sync.md "Backfill"), so the history is what the syncs measured:
5,321 on day 0 (the account's spec), 5,430 on day 23 and 5,500 on day 30 (set in the world with
``patch_account`` before each sync)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models.history import DailySnapshot
from app.queueing.dispatch import enqueue_sync
from tests.sync.conftest import drain, runs

DAY0, DAY23, DAY30 = 5_321, 5_430, 5_500


def _sync_on(app: Any, world: Any, conn_id: int, account_id: str, start: datetime, day: int, followers: int) -> None:
    """The world moved ``day`` days on from ``start`` with ``followers`` now; a daily sync by a worker."""
    world.set_clock(now=(start + timedelta(days=day)).isoformat())
    world.patch_account(account_id, followers=followers)
    with time_machine.travel(start + timedelta(days=day), tick=True):
        assert enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-day-{day}")
        drain(app)
        drain(app)  # and the alert evaluation the sync queued
        run = runs(conn_id)[-1]
        assert run.status == "succeeded", (day, run.status, run.error_message)


@pytest.fixture
def synced_x(app: Any, link: Any, world: Any) -> tuple[int, datetime]:
    conn_id, account = link("x", daily_changes=[3] * 60, post_every_days=3)
    drain(app)  # the initial sync the connect queued
    start = datetime.now(UTC).replace(microsecond=0)  # day 0: the initial sync's day
    assert runs(conn_id)[-1].status == "succeeded", runs(conn_id)[-1].error_message
    assert world.account(account["id"])["followers"] == DAY0
    _sync_on(app, world, conn_id, account["id"], start, 23, DAY23)
    _sync_on(app, world, conn_id, account["id"], start, 30, DAY30)
    measured = {
        s.day: s.followers
        for s in db.session.execute(select(DailySnapshot).where(DailySnapshot.connection_id == conn_id)).scalars()
    }
    day0 = start.date()
    assert measured == {day0: DAY0, day0 + timedelta(days=23): DAY23, day0 + timedelta(days=30): DAY30}
    return conn_id, start


def test_x_page_goal_portfolio_and_leaderboard_show_the_worlds_numbers(synced_x: Any, client: Any) -> None:
    conn_id, start = synced_x
    today: date = start.date() + timedelta(days=30)
    net30, rate30 = DAY30 - DAY0, (DAY30 - DAY0) / DAY0 * 100  # +179, +3.364 %
    net7, rate7 = DAY30 - DAY23, (DAY30 - DAY23) / DAY23 * 100  # +70, +1.289 %
    with time_machine.travel(start + timedelta(days=30, seconds=30), tick=True):
        client.login("creator@example.com")  # the session of 30 days ago has expired
        # the X platform page and its API: followers now and their change over the range
        page = client.get("/portal/analytics/x?range=30d").get_data(as_text=True)
        assert f'<p class="kpi-value">{DAY30:,}</p><p class="muted">+{net30} (+{rate30:.1f}%)' in page
        week = client.get("/portal/analytics/x?range=7d").get_data(as_text=True)
        assert f'<p class="kpi-value">{DAY30:,}</p><p class="muted">+{net7} (+{rate7:.1f}%)' in week
        metrics = client.get("/api/portal/social/x/metrics?range=30d").get_json()
        assert metrics["connected"] is True
        assert (metrics["followers"]["start"], metrics["followers"]["end"]) == (DAY0, DAY30)
        assert metrics["followers"]["net"] == net30
        assert metrics["followers"]["growth_rate"] == pytest.approx(rate30)

        # a goal on X: 6,000 by 90 days from now. The recent pace is the gain over the last 28 days
        # (day 2 carries day 0's 5,321 forward): 179 / 28 a day, 500 to go -> ceil(500 / (179 / 28)) = 79 days
        target_day = today + timedelta(days=90)
        resp = client.post(
            "/portal/analytics/goals", data={"target": "6000", "platform": "x", "target_date": target_day.isoformat()}
        )
        assert resp.status_code == 303
        forecast = today + timedelta(days=math.ceil((6_000 - DAY30) / ((DAY30 - DAY0) / 28)))
        assert forecast == today + timedelta(days=79)
        goals = client.get("/portal/analytics").get_data(as_text=True)
        assert f"6,000 X followers by {target_day.isoformat()}</strong>" in goals
        assert "On track" in goals
        assert f"now {DAY30:,}; at the recent pace you reach it on {forecast.isoformat()}" in goals

        # the coach: the goal's progress, the portfolio and the leaderboard
        client.logout()
        client.login("coach@example.com")
        creator_id = client.get("/api/admin/social/leaderboard?platform=x").get_json()["items"][0]["client_id"]
        [goal] = client.get(f"/api/admin/social/clients/{creator_id}").get_json()["goals"]
        assert (goal["platform"], goal["target"], goal["current"], goal["state"]) == ("x", 6_000, DAY30, "on_track")
        assert goal["forecast"] == forecast.isoformat()
        # a goal the pace cannot reach in time: 6,000 in 60 days is off track
        late = client.hx(
            "POST",
            f"/admin/clients/{creator_id}/goals",
            data={"target": "6000", "platform": "x", "target_date": (today + timedelta(days=60)).isoformat()},
        )
        assert late.status_code == 200
        states = {
            g["target_date"]: g["state"] for g in client.get(f"/api/admin/social/clients/{creator_id}").json["goals"]
        }
        assert states == {target_day.isoformat(): "on_track", (today + timedelta(days=60)).isoformat(): "off_track"}

        pf = client.get("/api/admin/social/portfolio?platform=x&range=30d").get_json()
        assert pf["total_followers"] == DAY30
        assert pf["platform_totals"] == {"x": DAY30}
        assert (pf["period_change"]["start"], pf["period_change"]["end"], pf["period_change"]["net"]) == (
            DAY0,
            DAY30,
            net30,
        )
        assert pf["period_change"]["growth_rate"] == pytest.approx(rate30)
        points = {p["day"]: p["followers"] for p in pf["series"]["points"]}
        assert points[start.date().isoformat()] == DAY0
        assert points[(start.date() + timedelta(days=23)).isoformat()] == DAY23
        assert points[today.isoformat()] == DAY30

        board = client.get("/api/admin/social/leaderboard?platform=x").get_json()
        [row] = board["items"]
        assert (row["rank"], row["name"], row["followers"], row["top_platform"]) == (1, "Cara Creator", DAY30, "x")
        assert (row["change"]["start"], row["change"]["end"], row["change"]["net"]) == (DAY0, DAY30, net30)
        assert row["change"]["growth_rate"] == pytest.approx(rate30)
        html = client.get("/admin/portfolio?platform=x").get_data(as_text=True)
        assert (
            f'data-testid="portfolio-total">{DAY30:,}</p><p class="muted">+{net30} (+{rate30:.1f}%) last 30 days'
            in html
        )
        assert (
            f'<td>1</td><th scope="row"><a href="/admin/clients/{creator_id}">Cara Creator</a></th>'
            f"<td>{DAY30:,}</td><td>+{rate30:.1f}% (+{net30})</td><td>X</td>"
        ) in html
