"""YouTube's traffic sources and devices in words on the page, and the best-time fallback on a creator
with 14 posts in 30 days (as the demo's): too few per time slot, so the followers' online hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import AudienceSnapshot, Connection
from app.stats.query import today
from tests.portal.test_audience_section import creator  # noqa: F401 - the shared fixture
from tests.support import history as h


def _conn(platform: str) -> Connection:
    return db.session.execute(db.select(Connection).where(Connection.platform == platform)).scalar_one()


def test_youtube_traffic_sources_and_devices_read_as_words(client, creator):  # noqa: F811
    db.session.add(
        AudienceSnapshot(
            connection_id=_conn("youtube").id,
            taken_on=today(),
            payload={
                "traffic_sources": {"YT_SEARCH": 60.0, "SUBSCRIBER": 30.0, "NEW_SOURCE_X": 10.0},
                "devices": {"MOBILE": 75.0, "DESKTOP": 25.0},
            },
        )
    )
    db.session.commit()
    client.login("c@example.com")
    text = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert ">YouTube search</th>" in text
    assert ">Browse features (home, subscriptions)</th>" in text
    assert ">Phone</th>" in text
    assert ">Computer</th>" in text
    assert "60.0%" in text.split(">YouTube search</th>", 1)[1].split("</tr>", 1)[0]
    # an unknown code is made readable, never dropped; no known code shows raw
    assert ">New source x</th>" in text
    for code in ("YT_SEARCH", "SUBSCRIBER", "MOBILE", "DESKTOP"):
        assert f">{code}<" not in text


def test_fourteen_posts_in_thirty_days_fall_back_to_online_hours(client, creator):  # noqa: F811
    ig = _conn("instagram")
    # 14 posts, every other day at 09:00 UTC: 14 days cover each weekday once, so each weekday's 08-10
    # slot gets 2 (a slot is rated from 3); the fixture's post two days back is at 12:00, another slot
    first = datetime.combine(today() - timedelta(days=29), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    for i in range(14):
        h.post(ig, first + timedelta(days=2 * i), likes=20, followers=1000, caption=f"post {i}")
    client.login("c@example.com")
    text = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert "Not enough posts yet to rate time slots (a slot needs at least 3 posts)." in text
    # the fixture's online hours: 300 at 20:00, 150 at 21:00, 120 at 19:00 (UTC client)
    assert "post when your followers are online: <strong>20:00, 21:00, 19:00</strong> (UTC)" in text
    assert "Best: <strong>" not in text
