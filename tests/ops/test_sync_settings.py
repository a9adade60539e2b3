"""Sync controls per connection: the contract's settings API, the cost of each choice, refusals with the
reason, and the ``posts`` flag changing what the next sync asks the platform (the sandbox's call log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models import Connection
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services import connection_settings
from app.services.quota_counters import youtube_units_key
from tests.sync.conftest import drain, runs


def _paths(world: Any, platform: str) -> list[str]:
    return [c["path"] for c in world.calls(platform)]


def _url(conn_id: int) -> str:
    return f"/api/portal/social/connections/{conn_id}/settings"


def test_posts_off_changes_what_the_next_sync_requests(app: Any, client: Any, link: Any, world: Any) -> None:
    yt, _ = link("youtube")
    ig, _ = link("instagram")
    drain(app)
    for conn_id in (yt, ig):
        # comments off too: the comment step would read the stored posts' comments (docs/sync.md)
        resp = client.patch(_url(conn_id), json={"sync": {"posts": False, "comments": False}})
        assert resp.status_code == 200, resp.json
        assert resp.json["sync"]["posts"] is False
    world.clear_calls()
    for conn_id in (yt, ig):
        dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    yt_paths = _paths(world, "youtube")
    assert any("/youtube/v3/channels" in p for p in yt_paths)  # the profile is still read
    assert any("youtubeanalytics" in p for p in yt_paths)  # and the account's daily numbers
    assert not any("/playlistItems" in p or "/youtube/v3/videos" in p for p in yt_paths)
    assert runs(yt)[-1].quota_units == 1  # channels only
    ig_paths = _paths(world, "instagram")
    assert any(p.endswith("/me") for p in ig_paths)
    assert not any("/me/media" in p for p in ig_paths)
    assert {runs(yt)[-1].status, runs(ig)[-1].status} == {"succeeded"}
    # posts back on: the next sync lists the uploads again
    client.patch(_url(yt), json={"sync": {"posts": True}})
    world.clear_calls()
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    assert any("/playlistItems" in p for p in _paths(world, "youtube"))


def test_the_settings_api_follows_the_contract_and_refuses_with_the_reason(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    tt, _ = link("tiktok")
    yt, _ = link("youtube")
    got = client.get(_url(tt)).json
    assert got["sync"] == {"posts": True, "comments": False, "audience": False, "stories": False}
    assert got["cadence"] == "daily"
    assert got["synced_now"] == ["audience", "comments", "posts", "stories"]
    yt_got = client.get(_url(yt)).json
    assert yt_got["sync"] == {"posts": True, "comments": True, "audience": True, "stories": False}
    # a YouTube sync: channels 1 + posts 2 + comments 3 (+ audience 0) units
    assert yt_got["cost_per_day"] == {"calls": 6, "units": 6}
    assert yt_got["choice_costs"]["twice_daily"] == "12 Data API units a day"
    bad = client.patch(_url(tt), json={"sync": {"stories": True}})
    assert bad.status_code == 400
    assert bad.json["error"]["message"] == "TikTok has no stories the app can read."
    hourly = client.patch(_url(yt), json={"cadence": "hourly"})
    assert hourly.status_code == 400
    assert "more often than twice a day does not fit" in hourly.json["error"]["message"]
    twice = client.patch(_url(yt), json={"cadence": "twice_daily"})
    assert twice.status_code == 400
    assert "active campaign" in twice.json["error"]["message"]
    assert client.patch(_url(yt), data="nonsense", content_type="application/json").status_code == 400
    assert db.session.get(Connection, yt).sync_settings is None  # nothing stored by a refusal
    # another client's connection looks like a missing one, for a client and for another coach
    other = factory.client(coach=factory.coach(email="other-coach@example.com"), email="other@example.com")
    theirs = Connection(client_id=other.id, platform="youtube", platform_user_id="UC-other", status="connected")
    db.session.add(theirs)
    db.session.commit()
    assert client.get(_url(theirs.id)).status_code == 404
    assert client.patch(_url(theirs.id), json={"sync": {"posts": False}}).status_code == 404
    client.logout()
    client.login("other-coach@example.com")
    assert client.get(_url(yt)).status_code == 404


def test_a_choice_that_does_not_fit_the_youtube_budget_is_refused(app: Any, client: Any, link: Any, world: Any) -> None:
    yt, _ = link("youtube")
    conn = db.session.get(Connection, yt)
    conn.active_campaign = True
    db.session.commit()
    app.config["SYNC_YOUTUBE_DAILY_UNITS"] = 11  # one channel: 6 units a day, twice a day 12
    resp = client.patch(_url(yt), json={"cadence": "twice_daily"})
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "over_budget"
    assert "would need 12 units a day of the 11 the app may spend" in resp.json["error"]["message"]
    app.config["SYNC_YOUTUBE_DAILY_UNITS"] = 9500
    client.patch(_url(yt), json={"sync": {"comments": False}})  # less never needs room
    get_redis().set(youtube_units_key(), 9000)  # 95 % of today's budget spent
    nearly = client.patch(_url(yt), json={"sync": {"comments": True}})
    assert nearly.status_code == 400
    assert "YouTube's budget for today is 95% used (9,000 of 9,500 units)" in nearly.json["error"]["message"]
    assert connection_settings.settings_of(db.session.get(Connection, yt)).sync["comments"] is False


def test_twice_a_day_for_an_active_campaign_and_skipped_near_the_limit(
    app: Any, client: Any, link: Any, world: Any, creator: Any
) -> None:
    yt, _ = link("youtube")
    drain(app)
    coach_email = creator.coach.email
    client.logout()
    client.login(coach_email)
    page = client.get(f"/portal/settings/connections/{yt}/sync").get_data(as_text=True)
    assert "For accounts your coach marks as an active campaign." in page
    assert 'data-testid="cost-daily">6 Data API units a day</small>' in page  # channels 1 + posts 2 + comments 3
    client.post(f"/portal/settings/connections/{yt}/campaign", data={"active": "1"})
    saved = client.post(
        f"/portal/settings/connections/{yt}/sync", data={"posts": "on", "audience": "on", "cadence": "twice_daily"}
    )
    assert saved.status_code == 303
    conn = db.session.get(Connection, yt)
    assert connection_settings.settings_of(conn).cadence == "twice_daily"
    assert connection_settings.sync_enabled(conn, "comments") is False
    page = client.get(f"/portal/settings/connections/{yt}/sync").get_data(as_text=True)
    assert "Not synced yet" not in page  # comments, audience and stories are synced now
    assert 'name="comments" checked' not in page
    assert 'name="audience" checked' in page
    assert "6 Data API units a day" in page  # twice (channels 1 + posts 2) a day
    # 15:00 UTC: the second sync of the day
    assert sync_jobs.campaign_fanout() == 1
    drain(app)
    assert runs(yt)[-1].trigger == "campaign"
    assert runs(yt)[-1].status == "succeeded"
    # near the limit the second syncs are the first thing given up
    get_redis().set(youtube_units_key(), 8000)  # 84 % of 9,500
    assert sync_jobs.campaign_fanout() == 0
    # ending the campaign puts the account back to once a day
    client.post(f"/portal/settings/connections/{yt}/campaign", data={"active": "0"})
    db.session.expire_all()
    assert connection_settings.settings_of(db.session.get(Connection, yt)).cadence == "daily"
    assert connection_settings.twice_daily() == []
    assert db.session.execute(select(Connection.active_campaign)).scalar_one() is False
