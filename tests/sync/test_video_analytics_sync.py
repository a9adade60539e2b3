"""The weekly YouTube read stores per-video numbers and the Shorts / long-form split (sandbox, real DB)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AudienceSnapshot, Connection, ContentItem, VideoAnalytics
from app.models.sync import SyncRun
from app.platforms.video_analytics import SCOPE_MONETARY
from app.stats.video_insights import video_panel
from app.sync import engine


def _rows() -> dict[str, VideoAnalytics]:
    db.session.expire_all()
    out = {}
    for va, pid in db.session.execute(
        select(VideoAnalytics, ContentItem.platform_id).join(
            ContentItem, ContentItem.id == VideoAnalytics.content_item_id
        )
    ).tuples():
        out[pid] = va
    return out


def test_per_video_numbers_and_retention_are_stored(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("youtube")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    rows = _rows()
    truth = {p["id"]: p for p in world.account(account["id"], posts=True)["posts"]}
    assert 0 < len(rows) <= 10
    curved = [pid for pid, r in rows.items() if r.retention]
    assert len(curved) == min(5, len(rows))
    for pid in curved:
        r = rows[pid]
        p = truth[pid]["avg_view_pct"] / 100
        assert len(r.retention) == 100
        # the post page reads the curve at 25/50/75/100 % of the video: p * (1.25, 1.0, 0.75, 0.5), as percent
        panel = video_panel(r.content_item_id)
        assert panel is not None
        assert panel["retention"] == {
            "25": round(100 * round(p * 1.25, 4), 1),
            "50": round(100 * round(p, 4), 1),
            "75": round(100 * round(p * 0.75, 4), 1),
            "100": round(100 * round(p * 0.5, 4), 1),
        }
        assert r.watch_time_seconds is not None
        assert r.watch_time_seconds % 60 == 0
        assert panel["watch_time_minutes"] == r.watch_time_seconds / 60
        assert (r.window_end - r.window_start).days == 27
    [snap] = db.session.execute(select(AudienceSnapshot)).scalars().all()
    kinds = {p["kind"] for p in truth.values()}
    split = snap.payload["content_types"]
    assert set(split) == {{"short": "shorts", "video": "long_form"}[k] for k in kinds}
    assert sum(split.values()) == pytest.approx(100.0, abs=0.1)
    assert "estimated_revenue_usd" not in snap.payload  # the client did not opt into the monetary scope


def test_a_monetary_scope_taken_back_costs_only_the_revenue(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("youtube")
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    conn.scopes = f"{conn.scopes} {SCOPE_MONETARY}"  # stored as granted; the token does not carry it
    db.session.commit()
    assert engine.sync(conn_id, "operator").status == "partial"
    run = db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id)).scalars().all()[-1]
    assert any("revenue" in n for n in run.details["notes"])
    assert _rows()  # the per-video numbers are kept
    [snap] = db.session.execute(select(AudienceSnapshot)).scalars().all()
    assert snap.payload["age"]
    assert "estimated_revenue_usd" not in snap.payload


def test_instagram_follows_and_unfollows_are_daily_insights(app: Any, link: Any, world: Any) -> None:
    from datetime import date, timedelta

    from app.models import AccountInsight

    conn_id, account = link("instagram", followers=10_000)
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    rows = db.session.execute(
        select(AccountInsight).where(AccountInsight.metric.in_(("follows", "unfollows")))
    ).scalars()
    by_day: dict[date, dict[str, float]] = {}
    for r in rows:
        by_day.setdefault(r.day, {})[r.metric] = r.value
    assert len(by_day) == 3  # the newest 3 days read (one call each)
    truth = world.account(account["id"], history=True)
    start = date.fromisoformat(truth["history_start"])
    for day, got in by_day.items():
        # the sandbox's follows minus unfollows of a day is that day's net change in followers
        assert got["follows"] - got["unfollows"] == truth["daily_changes"][(day - start).days]
        assert got["follows"] >= 0
    assert max(by_day) <= date.fromisoformat(truth["today"]) - timedelta(days=1)


HOSTILE_TAG = '<img src=x onerror=alert(1)>\x07 "quoted" ' + "x" * 200


def test_youtube_tags_and_category_are_stored_and_shown_escaped(app: Any, client: Any, link: Any, world: Any) -> None:
    from datetime import UTC, datetime, timedelta

    conn_id, account = link("youtube")
    published = (datetime.now(UTC) - timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    world.patch_account(
        account["id"], posts=[{"published_at": published, "caption": HOSTILE_TAG, "kind": "video", "view_count": 50}]
    )
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    items = db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars().all()
    plain = [i for i in items if i.tags == ["sandbox"]]
    assert plain
    assert all(i.category_id == "22" for i in items)
    [hostile] = [i for i in items if i.tags and any("onerror" in t for t in i.tags)]
    # the caption's first 100 characters are its tag (sandbox); stored without the control character,
    # trimmed to 100 characters
    expected = HOSTILE_TAG[:100].replace("\x07", "").strip()
    assert hostile.tags == ["sandbox", expected]
    page = client.get(f"/portal/analytics/content/{hostile.id}").get_data(as_text=True)
    assert "Category: <strong>People &amp; Blogs</strong>" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_client_opts_into_revenue(app: Any, client: Any, link: Any, world: Any) -> None:
    from datetime import timedelta

    from tests.support.connect import callback_path

    conn_id, account = link("youtube")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    page = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert "Share estimated revenue" in page
    # a week later the audience is read again
    [first] = db.session.execute(select(AudienceSnapshot)).scalars().all()
    first.taken_on = first.taken_on - timedelta(days=7)
    db.session.commit()
    assert client.post("/api/portal/social/connect/tiktok?feature=revenue").status_code == 404
    resp = client.post("/api/portal/social/connect/youtube?feature=revenue")
    assert resp.status_code == 303
    assert "yt-analytics-monetary.readonly" in resp.headers["Location"]
    back = client.get(callback_path(world.consent(resp.headers["Location"], account["id"])))
    assert back.status_code in (302, 303)
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert SCOPE_MONETARY in conn.scope_set
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    snap = db.session.execute(select(AudienceSnapshot).order_by(AudienceSnapshot.taken_on.desc()).limit(1)).scalar_one()
    # the sandbox pays 2.50 dollars per 1,000 views of the window (the stored window of the reads)
    import requests

    from app.services import tokens

    window = next(iter(_rows().values()))
    token = tokens.token_set_of(conn).access_token
    views = requests.get(
        world.url("youtubeanalytics.googleapis.com/v2/reports"),
        params={
            "ids": "channel==MINE",
            "startDate": window.window_start.isoformat(),
            "endDate": window.window_end.isoformat(),
            "metrics": "views",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["rows"][0][0]
    assert snap.payload["estimated_revenue_usd"] == round(round(views * 2.5 / 1000, 3), 2)
    assert "estimated_revenue_usd" in snap.payload
    # daily revenue beside the daily views (insights contract): 2.50 per 1,000 of each day's views
    from app.models import AccountInsight

    days: dict[Any, dict[str, float]] = {}
    for r in db.session.execute(
        select(AccountInsight).where(AccountInsight.metric.in_(("views", "estimated_revenue")))
    ).scalars():
        days.setdefault(r.day, {})[r.metric] = r.value
    paid = [d for d in days.values() if "estimated_revenue" in d]
    assert paid
    for d in paid:
        assert d["estimated_revenue"] == round(d["views"] * 2.5 / 1000, 3)
    api = client.get("/api/portal/social/youtube/insights?range=30d").get_json()
    # the insights answer rounds each day to cents, then sums (all these days are in the last 7)
    assert api["totals"]["estimated_revenue"] == round(sum(round(d["estimated_revenue"], 2) for d in paid), 2)
    page = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert "Share estimated revenue" not in page
    assert 'data-testid="revenue"' in page
