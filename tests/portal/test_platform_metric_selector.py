"""The platform page's metric selector: the platform's own daily insights (those the period has), one at a
time as a chart with its table, swapped alone by HTMX, linkable, a bad name a 400 in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AccountInsight
from app.stats.query import today
from tests.support import history as h


@pytest.fixture
def creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    yt = h.connection(c, "youtube", username="cora_yt")
    h.daily(ig, today() - timedelta(days=10), [1000 + i for i in range(11)])
    h.daily(yt, today() - timedelta(days=10), [500 + i for i in range(11)])
    d3, d2 = today() - timedelta(days=3), today() - timedelta(days=2)
    rows = [
        (ig, d3, "reach", 100.0),
        (ig, d2, "reach", 120.0),
        (ig, d3, "total_interactions", 7.0),
        (ig, d2, "total_interactions", 5.0),
        (ig, d2, "link_taps", 4.0),
        (ig, d3, "follows", 2.0),
        # stored but not a daily insight of the contract: never offered
        (ig, d3, "saves", 9.0),
        (yt, d3, "watch_time", 7200.0),  # seconds: 120 minutes
        (yt, d2, "watch_time", 5400.0),  # 90 minutes
        (yt, d3, "views", 40.0),
        (yt, d3, "followers_gained", 3.0),
    ]
    db.session.add_all([AccountInsight(connection_id=cn.id, day=d, metric=m, value=v) for cn, d, m, v in rows])
    db.session.commit()
    return c


def _options(text: str) -> list[str]:
    select = text.split('<select name="metric"', 1)[1].split("</select>", 1)[0]
    return [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[1:]]


def test_the_instagram_selector_offers_its_insights_and_charts_the_one_picked(client, creator):
    client.login("c@example.com")
    text = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    # the period has reach, interactions, link taps and follows; no views, no watch time, no saves
    assert _options(text) == [
        "All insights",
        "Reach (accounts reached, summed by day)",
        "Interactions",
        "Link taps",
        "Follows",
    ]
    assert '<option value="all" selected>' in text
    assert "Instagram insights by day" in text

    d3, d2 = (today() - timedelta(days=3)).isoformat(), (today() - timedelta(days=2)).isoformat()
    text = client.get("/portal/analytics/instagram?range=30d&metric=interactions").get_data(as_text=True)
    assert "Instagram: Interactions by day" in text
    assert '<option value="interactions" selected>' in text
    # the chart's table: the two days with a value, as stored
    assert f'<th scope="row">{d3}</th><td>7</td>' in text
    assert f'<th scope="row">{d2}</th><td>5</td>' in text
    # the custom range and the content filters keep the picked metric
    assert text.count('<input type="hidden" name="metric" value="interactions">') == 2

    text = client.get("/portal/analytics/instagram?range=30d&metric=link_taps").get_data(as_text=True)
    assert "Instagram: Link taps by day" in text
    assert f'<th scope="row">{d2}</th><td>4</td>' in text
    assert f'<th scope="row">{d3}</th>' not in text.split('id="metric-chart"', 1)[1].split("</section>", 1)[0]


def test_youtube_watch_time_in_minutes_and_the_overviews_key_reads_the_same(client, creator):
    client.login("c@example.com")
    d3, d2 = (today() - timedelta(days=3)).isoformat(), (today() - timedelta(days=2)).isoformat()
    for metric in ("watch_time_minutes", "watch_time"):
        text = client.get(f"/portal/analytics/youtube?range=30d&metric={metric}").get_data(as_text=True)
        assert "YouTube: Watch time (minutes) by day" in text
        assert f'<th scope="row">{d3}</th><td>120</td>' in text  # 7,200 s
        assert f'<th scope="row">{d2}</th><td>90</td>' in text  # 5,400 s
    assert _options(text) == ["All insights", "Views", "Watch time (minutes)", "Subscribers gained"]


def test_the_metric_swaps_alone_and_a_bad_one_is_a_400_in_words(client, creator):
    client.login("c@example.com")
    resp = client.get(
        "/portal/analytics/instagram?range=30d&metric=follows",
        headers={"HX-Request": "true", "HX-Target": "metric-chart"},
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert text.lstrip().startswith('<section id="metric-chart"')
    assert "Instagram: Follows by day" in text
    assert 'id="content-table"' not in text
    # a metric the period has no value of: offered (it was asked for) and said plainly
    text = client.get("/portal/analytics/instagram?range=30d&metric=unfollows").get_data(as_text=True)
    assert "No platform insights in this period yet." in text
    assert '<option value="unfollows" selected>' in text
    resp = client.get("/portal/analytics/instagram?range=30d&metric=<script>")
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "Unknown metric: use all or one of" in body
    assert "<script>" not in body


def test_the_facebook_page_names_gains_as_followers(client, factory):
    c = factory.client(email="f@example.com", name="Fay")
    fb = h.connection(c, "facebook", username="fay_page")
    h.daily(fb, today() - timedelta(days=5), [200 + i for i in range(6)])
    day = today() - timedelta(days=2)
    db.session.add(AccountInsight(connection_id=fb.id, day=day, metric="followers_gained", value=6))
    db.session.commit()
    client.login("f@example.com")
    text = client.get("/portal/analytics/facebook?range=30d&metric=subscribers_gained").get_data(as_text=True)
    assert "Facebook: Followers gained by day" in text
    assert f'<th scope="row">{(today() - timedelta(days=2)).isoformat()}</th><td>6</td>' in text
    # the Page's tile says followers, not YouTube's subscribers
    tile = '<h3>Followers</h3><p class="kpi-value">+6 / −0</p><p class="muted">gained / lost (platform insights)</p>'
    assert tile in text
