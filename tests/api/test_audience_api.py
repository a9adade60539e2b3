"""Audience, insights and stories JSON API (contract 6.4): shapes, plain reasons, IDOR and roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot, StoryItem
from app.stats.query import today
from tests.support import history as h

PAYLOAD = {
    "age": {"18-24": 40.0, "25-34": 60.0},
    "gender": {"female": 55.0, "male": 45.0},
    "countries": [{"code": "BR", "share": 70.0}, {"code": "US", "share": 30.0}],
    "online_hours": {str(i): float(i) for i in range(24)},
}


@pytest.fixture
def world(factory):
    coach = factory.coach(email="coach@example.com")
    other = factory.coach(email="other@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram")
    yt = h.connection(c, "youtube")
    h.connection(c, "tiktok")
    d = today()
    db.session.add_all(
        [
            AudienceSnapshot(connection_id=ig.id, taken_on=d - timedelta(days=8), payload={"age": {"18-24": 100.0}}),
            AudienceSnapshot(connection_id=ig.id, taken_on=d - timedelta(days=1), payload=PAYLOAD, base=5000),
            AudienceSnapshot(connection_id=yt.id, taken_on=d - timedelta(days=1), payload={}),
        ]
    )
    for i, (views, watch, avg) in enumerate(((100, 6000, 60), (300, 36000, 120))):
        day = d - timedelta(days=2 - i)
        db.session.add_all(
            [
                AccountInsight(connection_id=yt.id, day=day, metric="views", value=views),
                AccountInsight(connection_id=yt.id, day=day, metric="watch_time", value=watch),
                AccountInsight(connection_id=yt.id, day=day, metric="avg_view_duration", value=avg),
            ]
        )
    db.session.add(AccountInsight(connection_id=yt.id, day=d - timedelta(days=40), metric="views", value=999))
    published = datetime.now(UTC) - timedelta(days=3)
    db.session.add(
        StoryItem(
            connection_id=ig.id,
            platform_id="179001",
            media_type="IMAGE",
            published_at=published,
            expires_at=published + timedelta(hours=24),
            views=300,
            reach=240,
            replies=4,
        )
    )
    db.session.commit()
    stranger = factory.client(coach=other, email="s@example.com")
    return c, stranger


def test_audience_answers_the_latest_snapshot_or_a_plain_reason(client, world):
    client.login("c@example.com")
    ig = client.get("/api/portal/social/instagram/audience").get_json()
    assert ig == {
        "platform": "instagram",
        "as_of": (today() - timedelta(days=1)).isoformat(),
        "available": True,
        "reason": None,
        **PAYLOAD,
    }
    yt = client.get("/api/portal/social/youtube/audience").get_json()
    assert yt["available"] is False
    assert "enough viewers" in yt["reason"]
    tt = client.get("/api/portal/social/tiktok/audience").get_json()
    assert tt["available"] is False
    assert tt["reason"].startswith("TikTok shares no audience data with apps")
    fb = client.get("/api/portal/social/facebook/audience").get_json()
    # a Page's followers' countries are read weekly (tests/portal/test_facebook_audience_section.py); none here
    assert (fb["available"], fb["reason"]) == (False, "No Facebook account is connected.")
    x = client.get("/api/portal/social/x/audience").get_json()
    assert x["reason"] == "X shares no audience data with apps: its API gives none for personal accounts."
    bad = client.get("/api/portal/social/myspace/audience")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "bad_query"


def test_insights_sum_the_days_and_weight_averages_by_views(client, world):
    client.login("c@example.com")
    body = client.get("/api/portal/social/youtube/insights?range=7d").get_json()
    assert body["platform"] == "youtube"
    assert body["period"]["key"] == "7d"
    assert len(body["days"]) == 2  # the day 40 days back is outside the week
    assert body["days"][0]["watch_time_minutes"] == 100.0
    # (60 x 100 + 120 x 300) / 400 = 105 s
    assert body["totals"] == {"views": 400.0, "watch_time_minutes": 700.0, "average_view_duration_s": 105.0}
    assert client.get("/api/portal/social/youtube/insights?range=all").get_json()["totals"]["views"] == 1399.0
    assert client.get("/api/portal/social/youtube/insights?range=2y").status_code == 400


def test_stories_are_listed_after_they_expired(client, world):
    client.login("c@example.com")
    [story] = client.get("/api/portal/social/instagram/stories?range=7d").get_json()["stories"]
    assert (story["views"], story["reach"], story["replies"]) == (300, 240, 4)
    assert story["taps_forward"] is None
    assert client.get("/api/portal/social/instagram/stories?range=all").get_json()["stories"][0]["id"] == story["id"]


def test_staff_read_a_visible_clients_audience_only(client, world):
    c, stranger = world
    client.login("coach@example.com")
    body = client.get(f"/api/admin/social/clients/{c.id}/audience?platform=instagram").get_json()
    assert body["age"] == PAYLOAD["age"]
    assert client.get(f"/api/admin/social/clients/{stranger.id}/audience?platform=instagram").status_code == 404
    assert client.get(f"/api/admin/social/clients/{c.id}/audience").status_code == 400
    assert client.get("/api/portal/social/instagram/audience").status_code == 404  # staff have no portal
    client.logout()
    client.login("s@example.com")
    mine = client.get("/api/portal/social/instagram/audience").get_json()
    assert mine["available"] is False
    assert mine["reason"] == "No Instagram account is connected."
    assert client.get(f"/api/admin/social/clients/{c.id}/audience?platform=instagram").status_code == 403
