"""The coach's CRM client page matches the client's: each platform's daily insights chart, and a post
page with the post's reach, saves, shares, watch time and retention, for the coach's own clients only."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models import Connection, ContentItem, VideoAnalytics
from app.stats.query import today
from tests.portal.test_audience_section import creator  # noqa: F401 - the shared fixture
from tests.support import history as h


def _conn(platform: str) -> Connection:
    return db.session.execute(db.select(Connection).where(Connection.platform == platform)).scalar_one()


def test_the_crm_page_charts_each_platforms_insights_and_links_its_posts(client, creator):  # noqa: F811
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{creator.id}").get_data(as_text=True)
    # the fixture's YouTube insights: 7,200 s watched and 40 views, 3 days ago; the chart has its own id
    assert 'id="insights-youtube-svg-t">YouTube insights by day</strong>' in text
    day = (today() - timedelta(days=3)).isoformat()
    assert f'<th scope="row">{day}</th><td>40</td><td>120</td>' in text  # views, watch time (minutes)
    # Instagram has no stored insight in the fixture: no empty chart
    assert "Instagram insights by day" not in text
    post = _conn("instagram").id
    item = db.session.execute(db.select(ContentItem).where(ContentItem.connection_id == post)).scalar_one()
    assert f'href="/admin/clients/{creator.id}/content/{item.id}">one post</a>' in text


def test_the_coach_sees_a_posts_numbers_and_retention_read_only(client, creator, factory):  # noqa: F811
    yt = _conn("youtube")
    video = h.post(yt, today() - timedelta(days=10), likes=10, views=1000, shares=4, saves=6, kind="video")
    curve = [[i / 100, round(0.4 * (1.5 - i / 100), 4)] for i in range(1, 101)]
    db.session.add(
        VideoAnalytics(
            content_item_id=video.id,
            window_start=date(2026, 10, 1),
            window_end=date(2026, 10, 28),
            views=900,
            watch_time_seconds=5400 * 60,
            avg_view_duration_s=360,
            avg_view_pct=40.0,
            retention=curve,
        )
    )
    db.session.commit()
    client.login("coach@example.com")
    resp = client.get(f"/admin/clients/{creator.id}/content/{video.id}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<h2>Shares</h2><p class="kpi-value">4</p>' in text
    assert '<h2>Saves</h2><p class="kpi-value">6</p>' in text
    assert '<h3>Watch time</h3><p class="kpi-value">5,400 min</p>' in text
    # retention at 25 / 50 / 75 / 100 %: 0.4 x 1.25, 1.0, 0.75, 0.5
    assert "<td>50.0%</td><td>40.0%</td><td>30.0%</td><td>20.0%</td>" in text
    # read-only: no tactics form to the client's endpoint, a way back to the CRM page
    assert "/portal/analytics/content/" not in text
    assert f'href="/admin/clients/{creator.id}">← Cora</a>' in text

    # another client's post under this client's address, and a client of another coach: 404
    other_coach = factory.coach(email="other@example.com")
    stranger = factory.client(coach=other_coach, email="s@example.com", name="Sam")
    theirs = h.post(h.connection(stranger, "instagram", username="sam_ig"), today() - timedelta(days=1))
    assert client.get(f"/admin/clients/{creator.id}/content/{theirs.id}").status_code == 404
    assert client.get(f"/admin/clients/{stranger.id}/content/{theirs.id}").status_code == 404
    client.logout()
    client.login("other@example.com")
    assert client.get(f"/admin/clients/{creator.id}/content/{video.id}").status_code == 404
    assert client.get(f"/admin/clients/{stranger.id}/content/{theirs.id}").status_code == 200
    # the client itself has no staff page
    client.logout()
    client.login("c@example.com")
    assert client.get(f"/admin/clients/{creator.id}/content/{video.id}").status_code == 403
