"""The Audience section of the platform pages and the coach's client page: shares with their tables,
plain reasons, online hours in the client's time zone, stories, and the best-time fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot, StoryItem
from app.stats.audience_reads import online_heat
from app.stats.query import today
from tests.support import history as h

HOSTILE_CITY = '<script>alert(1)</script>, "Town"'


@pytest.fixture
def creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    yt = h.connection(c, "youtube", username="cora_yt")
    tt = h.connection(c, "tiktok", username="cora_tt")
    h.daily(tt, today() - timedelta(days=10), [300 + i for i in range(11)])
    h.daily(ig, today() - timedelta(days=10), [1000 + i for i in range(11)])
    h.daily(yt, today() - timedelta(days=10), [500 + i for i in range(11)])
    h.post(ig, today() - timedelta(days=2), likes=30, comments=3, followers=1010, caption="one post", views=500)
    hours = {str(i): 0.0 for i in range(24)}
    hours.update({"19": 120.0, "20": 300.0, "21": 150.0})
    db.session.add_all(
        [
            AudienceSnapshot(
                connection_id=ig.id,
                taken_on=today() - timedelta(days=1),
                payload={
                    "age": {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0},
                    "gender": {"female": 70.0, "male": 30.0},
                    "countries": [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}],
                    "cities": [{"name": HOSTILE_CITY, "share": 100.0}],
                    "online_hours": hours,
                },
            ),
            AudienceSnapshot(connection_id=yt.id, taken_on=today() - timedelta(days=1), payload={}),
            AccountInsight(connection_id=yt.id, day=today() - timedelta(days=3), metric="watch_time", value=7200.0),
            AccountInsight(connection_id=yt.id, day=today() - timedelta(days=3), metric="views", value=40.0),
        ]
    )
    published = datetime.now(UTC) - timedelta(days=2)
    db.session.add(
        StoryItem(
            connection_id=ig.id,
            platform_id="s1",
            media_type="VIDEO",
            published_at=published,
            expires_at=published + timedelta(hours=24),
            views=321,
            reach=250,
            replies=2,
        )
    )
    db.session.commit()
    return c


def test_instagram_page_shows_the_audience_with_tables_and_stories(client, creator):
    client.login("c@example.com")
    text = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert '<h2 id="aud-h">Audience</h2>' in text
    assert '<meter min="0" max="100" value="50.0">50.0%</meter> 50.0%' in text
    assert '<th scope="row" title="BR">Brazil</th>' in text  # the country's name, its code on hover
    assert "<script>alert(1)</script>" not in text  # the city name is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Busiest hours (UTC): <strong>20:00</strong>, <strong>21:00</strong>, <strong>19:00</strong>" in text
    assert '<td class="heat-4">300</td>' in text  # the busiest hour; 150 is half of it: level 2
    assert '<td class="heat-2">150</td>' in text
    assert '<h2 id="stories-h">Stories</h2>' in text
    assert "<td>321</td>" in text
    # one post: no time slot has 3 posts, so the page falls back to the online hours
    assert "Until then, post when your followers are online: <strong>20:00, 21:00, 19:00</strong> (UTC)" in text


def test_small_youtube_and_tiktok_say_why_there_is_no_audience(client, creator):
    client.login("c@example.com")
    yt = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert "Shown once the channel has enough viewers" in yt
    assert "does not tell apps when followers are online" not in yt  # nothing is shown at all yet
    assert '<h3>Watch time</h3><p class="kpi-value">2 h</p><p class="muted">120 minutes</p>' in yt
    tt = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert "TikTok shares no audience data with apps" in tt


def test_online_hours_move_to_the_clients_time_zone() -> None:
    hours = {str(i): 0.0 for i in range(24)}
    hours["20"] = 10.0
    heat = online_heat(hours, "Asia/Tokyo")  # UTC+9, no daylight saving: 20:00 UTC is 05:00
    assert heat["tz"] == "Asia/Tokyo"
    assert heat["peaks"] == [5]
    assert heat["cells"][5] == {"hour": 5, "followers": 10.0, "level": 4}
    assert online_heat(hours, "Asia/Kolkata")["tz"] == "UTC"  # +5:30: shown in UTC, not shifted wrongly
    assert online_heat(hours, "Not/AZone")["peaks"] == [20]


def test_the_coach_sees_the_clients_audience_read_only(client, creator):
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{creator.id}").get_data(as_text=True)
    assert "<summary>Instagram audience</summary>" in text
    assert '<h2 id="aud-instagram-h">Audience</h2>' in text
    assert '<meter min="0" max="100" value="75.0">75.0%</meter> 75.0%' in text
    assert "<summary>TikTok audience</summary>" in text
    assert "TikTok shares no audience data with apps" in text
    assert '<h2 id="stories-instagram-h">Stories</h2>' in text


def test_youtube_page_charts_daily_insights_with_a_table(client, creator):
    client.login("c@example.com")
    text = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert "YouTube insights by day" in text
    day = (today() - timedelta(days=3)).isoformat()
    assert f"<td>{day}</td>" in text or f">{day}<" in text
    assert "Watch time (minutes)" in text


def test_insights_chart_marks_the_2026_08_27_change_in_counting_views() -> None:
    from datetime import date
    from types import SimpleNamespace

    from app.charts.page_charts import client_insights

    # a custom range is never cached: the chart is built from these days alone
    ov = SimpleNamespace(client_id=1, data_version="v", query=SimpleNamespace(cacheable=False, cache_key=lambda: "q"))
    days = [{"day": date(2026, 8, 25 + i).isoformat(), "views": 100.0 + i} for i in range(4)]
    chart = client_insights(ov, days, "youtube")
    assert chart.notes == (
        "Counting changed on 2026-08-27: From 2026-08-27 long-form, live and Shorts views all count when playback"
        " starts.",
    )
    assert chart.table.rows[0] == ("2026-08-25", "100")
    assert client_insights(ov, days[:2], "youtube").notes == ()  # 25th and 26th: before the change
    assert client_insights(ov, days, "instagram").notes == ()
    assert client_insights(ov, [], "instagram").svg == ""


def test_post_page_shows_reach_saves_and_shares_where_given(client, creator):
    from app.models import Connection

    ig = db.session.execute(db.select(Connection).where(Connection.platform == "instagram")).scalar_one()
    item = h.post(ig, today() - timedelta(days=1), likes=40, comments=4, shares=7, saves=12, views=900, reach=610)
    bare = h.post(ig, today() - timedelta(days=1), likes=5, comments=0, caption="bare")
    client.login("c@example.com")
    text = client.get(f"/portal/analytics/content/{item.id}").get_data(as_text=True)
    for label, value in (("Reach", "610"), ("Comments", "4"), ("Shares", "7"), ("Saves", "12")):
        assert f'<h2>{label}</h2><p class="kpi-value">{value}</p>' in text
    other = client.get(f"/portal/analytics/content/{bare.id}").get_data(as_text=True)
    assert "<h2>Reach</h2>" not in other  # not given: no tile, not a zero
    assert "<h2>Saves</h2>" not in other
