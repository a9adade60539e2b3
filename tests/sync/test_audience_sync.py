"""The weekly audience step and the story sync against the sandbox (real HTTP, real DB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.audience import sync_all_stories
from app.models import AccountInsight, AudienceSnapshot, StoryItem, VideoAnalytics
from app.models.sync import SyncRun
from app.redis_conn import get_redis
from app.services import connection_settings
from app.services.quota_counters import META_APP_USAGE
from app.sync import engine
from app.sync.audience import sync_stories

IG_TRUTH = {
    "age": {"18-24": 50, "25-34": 30, "35-44": 20},
    "gender": {"female": 70, "male": 29, "other": 1},
    "countries": [{"code": "BR", "share": 75}, {"code": "US", "share": 25}],
    "cities": [{"name": "Sao Paulo, Sao Paulo", "share": 80}, {"name": "Austin, Texas", "share": 20}],
    "online_hours": {"20": 10, "21": 2.5},
    # taps a day on the profile's contact buttons
    "contact_buttons": {"CALL": 3, "EMAIL": 1},
}


def snapshots(conn_id: int) -> list[AudienceSnapshot]:
    db.session.expire_all()
    return list(db.session.execute(select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn_id)).scalars())


def non_comment_calls(world: Any) -> list[dict[str, Any]]:
    """The Instagram calls a sync made, less the comment step's (its posts are due on their own schedule)."""
    return [c for c in world.calls("instagram") if "/comments" not in c["path"]]


def test_instagram_audience_is_read_weekly_and_stored_as_shares(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram", followers=10_000)
    world.patch_account(account["id"], audience=IG_TRUTH)
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    [snap] = snapshots(conn_id)
    assert snap.base == 10_000
    payload = snap.payload
    # 10,000 followers: 5,000 / 3,000 / 2,000 -> 50 / 30 / 20 %
    assert payload["age"] == {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0}
    assert payload["gender"] == {"female": 70.0, "male": 29.0, "other": 1.0}
    assert payload["countries"] == [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}]
    assert payload["cities"][0] == {"name": "Sao Paulo, Sao Paulo", "share": 80.0}
    # 10 % and 2.5 % of 10,000 followers online at 20:00 and 21:00 UTC, averaged over the counted days
    assert payload["online_hours"]["20"] == 1000.0
    assert payload["online_hours"]["21"] == 250.0
    assert payload["online_hours"]["3"] == 0.0
    # the engaged audience (the sandbox: 8 % of the followers, split by the same truth): the same shares
    assert payload["engaged"]["age"] == {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0}
    assert payload["engaged"]["countries"] == [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}]
    # engaged cities: 800 engaged accounts x 80 % / 20 % -> 640 / 160 -> 80 / 20 %
    assert payload["engaged"]["cities"] == [
        {"name": "Sao Paulo, Sao Paulo", "share": 80.0},
        {"name": "Austin, Texas", "share": 20.0},
    ]
    # contact-button taps over the 28 finished days: 3 x 28 calls, 1 x 28 emails, most first
    assert payload["link_taps_by_button"] == {"CALL": 84, "EMAIL": 28}
    # the daily account insights carry the day's total (3 + 1 taps) as link_taps
    taps = select(AccountInsight.value).where(
        AccountInsight.connection_id == conn_id, AccountInsight.metric == "link_taps"
    )
    day = db.session.execute(taps).scalars().all()
    assert day
    assert set(day) == {4.0}
    # the next sync within the week reads no demographics; once the snapshot is a week old it reads
    # them again: four demographics calls, four engaged-audience calls, one online-followers call and
    # one contact-button taps call more
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert len(snapshots(conn_id)) == 1
    not_due = len(non_comment_calls(world))
    snap.taken_on = snap.taken_on - timedelta(days=7)
    db.session.commit()
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert len(snapshots(conn_id)) == 2
    assert len(non_comment_calls(world)) == not_due + 10


def test_small_instagram_account_stores_an_empty_audience(app: Any, link: Any) -> None:
    conn_id, _ = link("instagram", followers=80)
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    [snap] = snapshots(conn_id)
    assert snap.payload == {}


def test_youtube_audience_from_analytics_costs_no_data_api_units(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("youtube")
    world.patch_account(
        account["id"],
        audience={
            "traffic_sources": {"YT_SEARCH": 60, "SUBSCRIBER": 40},
            "devices": {"MOBILE": 75, "DESKTOP": 25},
            "age": {"25-34": 100},
            "gender": {"female": 60, "male": 40},
            "countries": [{"code": "IN", "share": 50}, {"code": "US", "share": 50}],
        },
    )
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    [snap] = snapshots(conn_id)
    payload = snap.payload
    assert payload["age"] == {"25-34": 100.0}
    assert payload["gender"] == {"female": 60.0, "male": 40.0}
    # views split 60/40 by the platform, each truncated to a whole view: within 0.1 point
    assert payload["traffic_sources"]["YT_SEARCH"] == pytest.approx(60.0, abs=0.1)
    assert payload["traffic_sources"]["SUBSCRIBER"] == pytest.approx(40.0, abs=0.1)
    assert payload["devices"]["MOBILE"] == pytest.approx(75.0, abs=0.1)
    assert {c["code"] for c in payload["countries"]} == {"IN", "US"}
    calls = world.calls("youtube")
    analytics = [c for c in calls if "youtubeanalytics" in c["path"]]
    # the daily report + four audience reports + the top videos, one retention curve for each of the
    # first five, and the Shorts / long-form split (no revenue call without the monetary scope)
    curves = min(5, len(db.session.execute(select(VideoAnalytics)).scalars().all()))
    assert len(analytics) == 5 + 1 + curves + 1
    assert not any("estimatedRevenue" in str(c) for c in analytics)
    run = db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id)).scalars().all()[-1]
    data_api = [c for c in calls if "/youtube/v3/" in c["path"]]
    assert run.quota_units == sum(c["quota_units"] for c in data_api)  # Analytics calls cost no units


def test_tiktok_has_no_audience_step(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("tiktok")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert snapshots(conn_id) == []


def test_stories_are_kept_after_they_expire(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram")
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 300, "replies": 4})
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 3})
    gone = (datetime.now(UTC) - timedelta(hours=25)).isoformat()  # expired before any sync could see it
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 999, "published_at": gone})
    assert sync_stories(conn_id) == "2 stories"
    rows = {r.views: r for r in db.session.execute(select(StoryItem)).scalars()}
    big = rows[300]
    assert (big.reach, big.replies, big.taps_forward, big.exits) == (240, 4, 165, 25)  # 300 x 0.8, 0.55, 1/12
    assert (big.expires_at - big.published_at).total_seconds() == 24 * 3600
    small = next(r for r in db.session.execute(select(StoryItem)).scalars() if r.note)
    assert small.note == "too_few_viewers"
    assert small.views is None
    world.advance_seconds(25 * 3600)
    assert sync_stories(conn_id) == "0 stories"
    db.session.expire_all()
    kept = db.session.execute(select(StoryItem).where(StoryItem.views == 300)).scalar_one()
    assert kept.replies == 4
    assert db.session.execute(select(StoryItem).where(StoryItem.views == 999)).scalar_one_or_none() is None


def test_the_audience_and_stories_settings_turn_the_reads_off(app: Any, link: Any, world: Any, client: Any) -> None:
    conn_id, account = link("instagram")
    # the client turns both off through the settings API (issue 22's contract)
    resp = client.patch(
        f"/api/portal/social/connections/{conn_id}/settings", json={"sync": {"audience": False, "stories": False}}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 300})
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert snapshots(conn_id) == []
    assert sync_stories(conn_id) == "off"
    db.session.expire_all()
    assert db.session.execute(select(StoryItem)).scalars().all() == []


def test_stories_are_read_as_often_as_the_budget_allows(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram")
    world._call("POST", f"accounts/{account['id']}/stories", json={"views": 300})
    # the settings page counts the story sync by its own schedule: 6 runs x (1 list + 2 x 3 live stories)
    defaults = connection_settings.defaults("instagram")
    per_sync = 5 + 2 + 3 + 1  # profile, posts, comments, audience
    assert connection_settings.cost("instagram", defaults).calls == per_sync + 42
    twice = connection_settings.SyncSettings(defaults.sync, "twice_daily")
    assert connection_settings.cost("instagram", twice).calls == 2 * per_sync + 42  # stories do not double
    # Meta's app usage past the 80 % threshold: the 4-hourly run is given up and asks nothing
    get_redis().set(META_APP_USAGE, 85)
    world.clear_calls()
    try:
        assert sync_all_stories() == {"connections": 0, "failed": 0, "skipped_near_limit": 1}
        assert world.calls("instagram") == []
    finally:
        get_redis().delete(META_APP_USAGE)
    # below it the next run reads the story that is still live
    assert sync_all_stories() == {"connections": 1, "failed": 0, "skipped_near_limit": 0}
    db.session.expire_all()
    assert [r.views for r in db.session.execute(select(StoryItem)).scalars()] == [300]
