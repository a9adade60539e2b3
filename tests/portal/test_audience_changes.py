"""Audience over time, the Shorts split, the subscriber-rounding note, the best-time fallback on
platforms without online hours, and a video's watch time and retention on its post page."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models import AudienceSnapshot, Connection, VideoAnalytics
from app.stats.audience import audience_changes
from app.stats.query import today
from tests.portal.test_audience_section import creator  # noqa: F401 - the shared fixture
from tests.support import history as h

OLD = {
    "age": {"18-24": 40.0, "25-34": 40.0, "35-44": 20.0},
    "gender": {"female": 72.0, "male": 28.0},
    "countries": [{"code": "BR", "share": 70.0}, {"code": "US", "share": 20.0}, {"code": "DE", "share": 10.0}],
}
NEW = {
    "age": {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0},
    "gender": {"female": 70.0, "male": 30.0},
    "countries": [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}],
}


def _conn(platform: str) -> Connection:
    return db.session.execute(db.select(Connection).where(Connection.platform == platform)).scalar_one()


def test_audience_changes_by_hand() -> None:
    rows = audience_changes(OLD, NEW)
    # |10|: age 18-24 +10, age 25-34 -10, DE left the list -10; |5|: BR, US +5; then gender female -2
    assert [(r["group"], r["name"], r["delta"]) for r in rows] == [
        ("age", "18-24", 10.0),
        ("age", "25-34", -10.0),
        ("countries", "DE", -10.0),
        ("countries", "BR", 5.0),
        ("countries", "US", 5.0),
        ("gender", "female", -2.0),
    ]
    assert rows[2]["before"] == 10.0
    assert rows[2]["after"] == 0.0
    assert audience_changes(OLD, OLD) == []
    assert audience_changes({}, NEW) == []


def test_platform_page_shows_the_audience_over_time(client, creator):  # noqa: F811
    ig = _conn("instagram")
    db.session.add_all(
        [
            AudienceSnapshot(connection_id=ig.id, taken_on=today() - timedelta(days=36), payload=OLD),
            # a week older only: not the one compared (the newest at least 28 days older is)
            AudienceSnapshot(connection_id=ig.id, taken_on=today() - timedelta(days=8), payload={"age": {"65+": 100}}),
        ]
    )
    db.session.commit()
    client.login("c@example.com")
    text = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert "Audience over time" in text
    since = (today() - timedelta(days=36)).isoformat()
    assert f'<th scope="col">{since}</th>' in text
    assert '<th scope="row">Age: 18-24</th><td>40.0%</td><td>50.0%</td><td>+10.0 points</td>' in text
    assert '<th scope="row">Country: Germany</th><td>10.0%</td><td>0.0%</td><td>-10.0 points</td>' in text
    tiktok = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert "Audience over time" not in tiktok
    # the coach's client page shows the same section
    client.logout()
    client.login("coach@example.com")
    crm = client.get(f"/admin/clients/{creator.id}").get_data(as_text=True)
    assert '<th scope="row">Age: 18-24</th><td>40.0%</td><td>50.0%</td><td>+10.0 points</td>' in crm


def test_youtube_page_shorts_split_rounding_note_and_best_time_fallback(client, creator):  # noqa: F811
    yt = _conn("youtube")
    db.session.add(
        AudienceSnapshot(
            connection_id=yt.id,
            taken_on=today(),
            payload={"age": {"25-34": 100.0}, "content_types": {"shorts": 62.5, "long_form": 37.5}},
        )
    )
    db.session.commit()
    client.login("c@example.com")
    text = client.get("/portal/analytics/youtube?range=30d").get_data(as_text=True)
    assert "Shorts vs long-form (views)" in text
    assert '<th scope="row">Shorts</th><td><span class="share-bar"><meter min="0" max="100" value="62.5">' in text
    assert "YouTube rounds public subscriber counts to three significant figures" in text
    # no YouTube post to rate time slots and no online hours on YouTube: the Instagram followers' hours
    assert "your Instagram followers are online most at <strong>20:00, 21:00, 19:00</strong> (UTC)" in text
    tt = client.get("/portal/analytics/tiktok?range=30d").get_data(as_text=True)
    assert "three significant figures" not in tt


def test_post_page_shows_watch_time_and_retention(client, creator):  # noqa: F811
    yt = _conn("youtube")
    video = h.post(yt, today() - timedelta(days=10), likes=10, views=1000, kind="video", caption="a video")
    other = h.post(yt, today() - timedelta(days=10), likes=1, views=10, kind="short", caption="a short")
    # p = 0.4: the curve 0.4 * (1.5 - x) at 0.01 .. 1.00
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
    client.login("c@example.com")
    text = client.get(f"/portal/analytics/content/{video.id}").get_data(as_text=True)
    assert "Watch time and retention" in text
    assert '<h3>Watch time</h3><p class="kpi-value">5,400 min</p>' in text
    assert '<h3>Average view</h3><p class="kpi-value">6:00</p>' in text
    assert '<p class="kpi-value">40.0%</p>' in text
    # at 25 / 50 / 75 / 100 %: 0.4 x 1.25, 1.0, 0.75, 0.5 = 50.0, 40.0, 30.0, 20.0 %
    assert "<td>50.0%</td><td>40.0%</td><td>30.0%</td><td>20.0%</td>" in text
    assert 'points="3.0,40.4 6.0,40.8 ' in text  # x = 0.01 x 300; y = 100 - 0.596 x 100 (the top is 100 %)
    plain = client.get(f"/portal/analytics/content/{other.id}").get_data(as_text=True)
    assert "this video was not among them" in plain


def test_weekly_insight_metric_by_hand(creator):  # noqa: F811
    from app.models import AccountInsight
    from app.stats.insight_series import weekly_insight_metric
    from app.stats.query import Period

    ig, yt, tt = _conn("instagram"), _conn("youtube"), _conn("tiktok")
    rows = [
        (ig, date(2026, 10, 2), "views", 100.0),  # week 1 (10-02 .. 10-08)
        (ig, date(2026, 10, 8), "views", 50.0),
        (ig, date(2026, 10, 1), "views", 999.0),  # the period's start is not in it
        (yt, date(2026, 10, 9), "views", 40.0),  # week 2 (10-09 .. 10-14)
        (yt, date(2026, 10, 9), "watch_time", 5400.0),  # 1.5 h
        (yt, date(2026, 10, 14), "watch_time", 1800.0),  # 0.5 h
    ]
    db.session.add_all(AccountInsight(connection_id=c.id, day=d, metric=m, value=v) for c, d, m, v in rows)
    db.session.commit()
    period = Period("custom", end=date(2026, 10, 14), start=date(2026, 10, 1))
    views = weekly_insight_metric([ig, yt, tt], period, "views")
    assert {k: [(p.label, p.value) for p in v] for k, v in views.items()} == {
        "instagram": [("2026-10-02", 150.0), ("2026-10-09", None)],
        "youtube": [("2026-10-02", None), ("2026-10-09", 40.0)],
    }
    watch = weekly_insight_metric([ig, yt, tt], period, "watch_time")
    assert [(p.label, p.value) for p in watch["youtube"]] == [("2026-10-02", None), ("2026-10-09", 2.0)]
    assert set(watch) == {"youtube"}


def test_overview_metric_selector_offers_views_and_watch_time(client, creator):  # noqa: F811
    client.login("c@example.com")
    text = client.get("/portal/analytics?range=30d&metric=watch_time").get_data(as_text=True)
    assert "Watch time (hours) by week" in text
    assert "Hours watched (YouTube Analytics), by week, one line per platform." in text
    text = client.get("/portal/analytics?range=30d&metric=views").get_data(as_text=True)
    assert "Views (platform insights) by week" in text
