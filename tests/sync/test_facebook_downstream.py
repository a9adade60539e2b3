"""A synced Facebook Page everywhere downstream: cards, overview, platform page, API, exports, reports,
goals, the coach's portfolio and leaderboard, the milestone alert, and a revoked grant shown as broken
with the client notified. Real sandbox, real worker, real DB and Redis."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.models.alert import Alert
from app.models.goal import Goal
from app.queueing.dispatch import enqueue_sync
from tests.sync.conftest import drain

HOSTILE = '<script>alert("fb")</script> Bake & share'


def _synced_page(app: Any, link: Any) -> tuple[int, dict[str, Any]]:
    conn_id, account = link(
        "facebook",
        display_name=HOSTILE,
        posts=[
            {
                "published_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
                "caption": HOSTILE,
                "like_count": 40,
                "comment_count": 4,
                "share_count": 2,
            }
        ],  # noqa: E501
    )
    drain(app)
    return conn_id, account


def _label(rate: float) -> str:
    """docs/metrics.md "Performance label" from the 30-day growth rate."""
    return "Strong growth" if rate >= 5 else "Growing" if rate >= 1 else "Flat" if rate > -1 else "Declining"


def _check_metrics(client: Any, world: Any, account: dict[str, Any]) -> None:
    """``/facebook/metrics`` against the world: the backfill counts back from today's 12,345 by each day's
    follows minus unfollows (``page_daily_follows_unique`` / ``page_daily_unfollows_unique``: exact), and
    yesterday, the last day Meta's insights give, carries today's count, so followers(today - n) =
    12,345 - the world's changes of the days from n - 1 back to yesterday."""
    changes = world.account(account["id"], history=True)["daily_changes"]
    today = datetime.now(UTC).date()
    for days in (7, 30, 90):
        start = 12_345 - sum(changes[-days:-1])
        got = client.get(f"/api/portal/social/facebook/metrics?range={days}d").get_json()
        assert (got["connected"], got["platform"]) == (True, "facebook")
        assert got["period"] == {
            "days": days,
            "key": f"{days}d",
            "start": (today - timedelta(days=days)).isoformat(),
            "end": today.isoformat(),
        }
        assert (got["followers"]["start"], got["followers"]["end"]) == (start, 12_345), days
        assert got["followers"]["net"] == 12_345 - start
        assert got["followers"]["growth_rate"] == pytest.approx((12_345 - start) / start * 100)
        # the one post (2 days old): 40 reactions + 4 comments + 2 shares over the 12,345 followers it
        # was measured at; its 800 views are the period's views
        assert got["engagement"]["posts"] == 1
        assert got["engagement"]["rate"] == pytest.approx((40 + 4 + 2) / 12_345 * 100)
        assert got["views_or_reach"] == 800
    month = 12_345 - sum(changes[-30:-1])
    got = client.get("/api/portal/social/facebook/metrics").get_json()  # the default range: 30 days
    assert got["period"]["key"] == "30d"
    assert got["monthly_gain"] == 12_345 - month
    assert got["performance"] == _label((12_345 - month) / month * 100)


def test_a_synced_page_shows_on_every_client_page_and_export(
    app: Any, link: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, account = _synced_page(app, link)
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "connected"
    assert conn.last_sync_at is not None

    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Facebook" in cards
    assert "<script>alert" not in cards

    home = client.get("/portal")
    assert home.status_code == 200
    assert "Facebook" in home.get_data(as_text=True)

    page = client.get("/portal/analytics/facebook")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&lt;script&gt;alert" in html
    assert '<script>alert("fb")' not in html

    metrics = client.get("/api/portal/social/facebook/metrics")
    assert metrics.status_code == 200, metrics.get_data(as_text=True)
    _check_metrics(client, world, account)
    overview = client.get("/api/portal/social/overview").get_json()
    assert "facebook" in json.dumps(overview)

    exported = client.get("/api/portal/social/export?format=csv&dataset=content&platform=facebook")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert rows
    assert any(HOSTILE in " ".join(str(v) for v in r.values()) for r in rows)
    snapshots = client.get("/api/portal/social/export?format=json&dataset=snapshots&platform=facebook")
    assert snapshots.status_code == 200

    weekly = client.get("/api/portal/social/report/weekly")
    assert weekly.status_code == 200

    client.post(
        "/portal/analytics/goals",
        data={
            "target": "20000",
            "platform": "facebook",
            "target_date": (datetime.now(UTC) + timedelta(days=90)).date().isoformat(),
        },  # noqa: E501
    )
    assert db.session.execute(select(Goal).where(Goal.platform == "facebook")).scalars().first() is not None


def test_the_coach_sees_the_page_in_portfolio_and_leaderboard(app: Any, link: Any, client: Any, creator: Any) -> None:
    _synced_page(app, link)
    client.logout()
    client.login("coach@example.com")
    portfolio = client.get("/admin/portfolio")
    assert portfolio.status_code == 200
    assert "Cara Creator" in portfolio.get_data(as_text=True)
    board = client.get("/api/admin/social/leaderboard?platform=facebook")
    assert board.status_code == 200, board.get_data(as_text=True)
    assert "Cara Creator" in board.get_data(as_text=True)
    exported = client.get(
        f"/api/admin/social/clients/{creator.id}/export?format=csv&dataset=snapshots&platform=facebook"
    )
    assert exported.status_code == 200
    assert "facebook" in exported.get_data(as_text=True)


def test_a_milestone_on_a_page_raises_its_alert(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("facebook", followers=9_995, daily_changes=[2] * 40)
    drain(app)
    drain(app)
    world.patch_account(account["id"], followers=10_004)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=30), tick=True):
        assert enqueue_sync(conn_id, "manual", job_id=f"sync-{conn_id}-same-day")
        drain(app)
        drain(app)
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    assert sorted(a.details["scope"] for a in alerts) == ["facebook", "total"]


def test_a_grant_revoked_between_syncs_shows_broken_and_tells_the_client(
    app: Any, link: Any, world: Any, client: Any
) -> None:
    conn_id, account = _synced_page(app, link)
    world.revoke(account["id"])  # the person removed the app in Facebook's settings
    enqueue_sync(conn_id, "operator")
    drain(app)
    drain(app)
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    kinds = {a.type for a in db.session.execute(select(Alert).where(Alert.client_id == conn.client_id)).scalars()}
    assert any("REVOKED" in k.upper() or "LOST" in k.upper() for k in kinds), kinds
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Reconnect" in cards
