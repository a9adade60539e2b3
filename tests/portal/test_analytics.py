"""Portal analytics pages: full and partial, empty states, bad input, XSS, IDOR."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.stats.query import today
from tests.support import history as h

XSS = '<script>alert(1)</script>"><svg onload=alert(2)>'


@pytest.fixture
def creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora", program_start=today() - timedelta(days=60))
    ig = h.connection(c, "instagram", username="cora_ig")
    tt = h.connection(c, "tiktok", username="cora_tt")
    start = today() - timedelta(days=100)
    h.daily(ig, start, [1000 + 5 * i for i in range(101)])
    h.daily(tt, start, [200 + 2 * i for i in range(95)])  # stops 6 days ago: carried
    for i in range(12):
        h.post(
            ig,
            today() - timedelta(days=2 * i + 1),
            likes=30 + i,
            comments=3,
            followers=1400,
            caption=f"post {i} #fit",
            hashtags=["fit"],
            views=500 + i,
        )
    h.post(tt, today() - timedelta(days=3), likes=9, comments=1, shares=1, followers=390, kind="video", views=2000)
    factory.deliverable(c, "M1", completed_at=None)
    return c


def test_overview_full_page_with_numbers_and_chart(client, creator):
    client.login("c@example.com")
    resp = client.get("/portal/analytics?range=30d")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "<html" in text
    assert "Total followers" in text
    assert "<svg" in text
    assert "Show the data as a table" in text
    assert "cdn" not in text.lower()
    assert "kozea.github.io" not in text
    nonce = re.search(r"'nonce-([^']+)'", resp.headers["Content-Security-Policy"]).group(1)
    assert f'<style type="text/css" nonce="{nonce}">' in text
    assert "HX-Request" in resp.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("target", "marker"),
    [
        ("analytics-body", 'id="analytics-body"'),
        ("metric-chart", 'id="metric-chart"'),
        ("growth-chart", 'id="growth-chart"'),
    ],
)
def test_overview_partials_are_fragments(client, creator, target, marker):
    client.login("c@example.com")
    resp = client.get(
        "/portal/analytics?range=7d&metric=engagement", headers={"HX-Request": "true", "HX-Target": target}
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<html" not in text
    assert text.lstrip().startswith("<")
    assert marker in text
    assert "HX-Request" in resp.headers["Vary"]


@pytest.mark.parametrize(
    ("qs", "message"),
    [
        ("range=14d", "Unknown range"),
        ("start=2026-05-01&end=2026-04-01", "before"),
        ("start=2026-13-01&end=2026-12-31", "does not exist"),
        ("platform=myspace", "Unknown platform"),
        ("metric=vibes", "Unknown metric"),
        ("start=2020-01-01&end=2999-01-01", "future"),
    ],
)
def test_bad_queries_are_clear_400s(client, creator, qs, message):
    client.login("c@example.com")
    for headers in ({}, {"HX-Request": "true"}):
        resp = client.get(f"/portal/analytics?{qs}", headers=headers)
        assert resp.status_code == 400
        assert message in resp.get_data(as_text=True)


def test_platform_page_and_content_table(client, creator):
    client.login("c@example.com")
    resp = client.get("/portal/analytics/instagram?range=90d")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Best posting time" in text
    assert "#fit" in text
    part = client.get(
        "/portal/analytics/instagram?range=90d&q=%23fit&sort=engaged&type=image",
        headers={"HX-Request": "true", "HX-Target": "content-table"},
    )
    body = part.get_data(as_text=True)
    assert "<html" not in body
    assert 'id="content-table"' in body
    assert body.count("<tr>") == 13
    bad = client.get(
        "/portal/analytics/instagram?type=hologram", headers={"HX-Request": "true", "HX-Target": "content-table"}
    )
    assert bad.status_code == 400
    assert "Unknown content type" in bad.get_data(as_text=True)
    assert client.get("/portal/analytics/myspace").status_code == 404


def test_empty_states_never_500(client, factory):
    c = factory.client(email="new@example.com")
    client.login("new@example.com")
    text = client.get("/portal/analytics").get_data(as_text=True)
    assert "No accounts connected yet" in text
    ig = h.connection(c, "instagram")
    assert "Waiting for the first sync" in client.get("/portal/analytics").get_data(as_text=True)
    h.snapshots(ig, {today(): 10})
    for url in (
        "/portal/analytics?range=all",
        "/portal/analytics?range=7d&metric=posts",
        "/portal/analytics/instagram",
        "/portal/analytics/tiktok",
    ):
        assert client.get(url).status_code == 200, url


def test_xss_payloads_stay_text_in_html_and_svg(client, factory):
    c = factory.client(email="x@example.com", name=XSS)
    ig = h.connection(c, "instagram", username=XSS)
    h.daily(ig, today() - timedelta(days=10), [100 + i for i in range(11)])
    item = h.post(ig, today() - timedelta(days=1), likes=5, caption=XSS, hashtags=[XSS])
    factory.deliverable(c, "M1", title=XSS)
    client.login("x@example.com")
    urls = ("/portal/analytics", "/portal/analytics/instagram?q=%3Cscript%3E", f"/portal/analytics/content/{item.id}")
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            text = client.get(url, headers=headers).get_data(as_text=True)
            assert "<script>alert" not in text, url
            assert "<svg onload" not in text, url


def test_another_clients_post_is_404(client, factory, creator):
    from app.extensions import db
    from app.models import ContentItem

    other = factory.client(email="o@example.com")
    h.connection(other, "instagram")
    client.login("o@example.com")
    item_id = db.session.query(ContentItem.id).first()[0]
    assert client.get(f"/portal/analytics/content/{item_id}").status_code == 404
    client.logout()
    client.login("c@example.com")
    assert client.get(f"/portal/analytics/content/{item_id}").status_code == 200


def test_goal_set_by_client(client, creator):
    client.login("c@example.com")
    day = (today() + timedelta(days=30)).isoformat()
    resp = client.post("/portal/analytics/goals", data={"target": "3000", "platform": "", "target_date": day})
    assert resp.status_code == 303
    text = client.get("/portal/analytics").get_data(as_text=True)
    assert "3,000 total followers by" in text
    assert "On track" in text or "Off track" in text
    resp = client.post(
        "/portal/analytics/goals", data={"target": "lots", "platform": "", "target_date": day}, follow_redirects=True
    )
    assert "whole number" in resp.get_data(as_text=True)
    assert date.today()


def test_custom_ranges_add_no_keys_to_redis(client, creator):
    """One user looping over custom ranges cannot fill the Redis that must never evict: charts (and the
    portfolio) of custom ranges are computed, not stored; the preset ranges still are."""
    from app.redis_conn import get_redis

    client.login("c@example.com")
    redis = get_redis()
    assert client.get("/portal/analytics?range=30d").status_code == 200
    cached = {k for k in redis.scan_iter("chart:*")}
    assert cached  # a preset range is cached
    for offset in range(5):
        end = today() - timedelta(days=offset)
        resp = client.get(f"/portal/analytics?start={(end - timedelta(days=20)).isoformat()}&end={end.isoformat()}")
        assert resp.status_code == 200
        assert "<svg" in resp.get_data(as_text=True)
    assert {k for k in redis.scan_iter("chart:*")} == cached


def test_a_rounded_youtube_count_reads_about_with_its_reason_and_range(client, factory):
    """Issue "Numbers that are true": a level that depends on YouTube's rounding is labelled as such
    (KPI, breakdown, data table), an exactly known one is not."""
    from app.extensions import db
    from app.models import DailySnapshot

    coach = factory.coach(email="coach2@example.com")
    start = today() - timedelta(days=10)
    c = factory.client(coach=coach, email="yt@example.com", name="Yara", program_start=start)
    yt = h.connection(c, "youtube", username="yara_yt")
    for i in range(11):
        d = start + timedelta(days=i)
        db.session.add(
            DailySnapshot(
                connection_id=yt.id,
                day=d,
                followers=302_480 + i,
                reported_followers=302_000,
                followers_low=302_000 + i,
                followers_high=302_999 + i - 10,
                linked_since=start if i < 8 else d,  # the last three days: analytics not in yet
                provenance="measured",
            )
        )
    db.session.commit()
    client.login("yt@example.com")
    text = client.get("/portal/analytics?range=7d").get_data(as_text=True)
    kpi = text.split('data-testid="total-followers">', 1)[1].split("</p>", 1)[0]
    assert "about 302,500" in kpi  # a 990-wide range: the nearest hundred
    assert "true count is between 302,010 and 302,999" in kpi
    assert "≈" in text  # the 7-day change ends in the analytics lag: not exact
    assert "True range (YouTube)" in text  # one platform: no "Total" repeating it
    assert "302,010–302,999" in text
    assert "YouTube rounds subscriber counts" in text
    program = text.split("Since program start", 1)[1].split("</article>", 1)[0]
    assert program.count('class="approx"') == 2  # both ends of "start -> now" are rounded counts
    # exactly known changes and exact levels are not marked
    first, last = (start + timedelta(days=1)).isoformat(), (start + timedelta(days=7)).isoformat()
    text = client.get(f"/portal/analytics?start={first}&end={last}").get_data(as_text=True)
    row = text.split('id="breakdown-h"', 1)[1].split("</tr>", 2)[1]
    assert "YouTube" in row
    assert "+7 (" in row
    assert "≈" not in row


def test_a_views_chart_crossing_a_counting_change_marks_it(client, factory):
    """YouTube counts every view at play start from 2026-08-27: a views chart crossing that day says so
    (legend marker and note); one that does not cross it, or another platform's, does not."""
    coach = factory.coach(email="coach3@example.com")
    c = factory.client(coach=coach, email="v@example.com", name="Vik")
    yt = h.connection(c, "youtube", username="vik_yt")
    ig = h.connection(c, "instagram", username="vik_ig")
    h.daily(yt, date(2026, 7, 1), [5_000] * 150)
    h.daily(ig, date(2026, 7, 1), [900] * 150)
    for i in range(20):
        h.post(yt, date(2026, 8, 1) + timedelta(days=3 * i), likes=10, views=1_000 + 100 * i, kind="video")
        h.post(ig, date(2026, 8, 1) + timedelta(days=3 * i), likes=10, views=300, kind="reel")
    client.login("v@example.com")
    text = client.get("/portal/analytics?metric=reach&start=2026-08-01&end=2026-09-30").get_data(as_text=True)
    section = text.split('id="metric-chart"', 1)[1].split("</section>", 1)[0]
    assert "Counting changed" in section
    assert "Counting changed on 2026-08-27" in section
    assert "2025-04-21" not in section  # Instagram's change is outside the period
    text = client.get("/portal/analytics?metric=reach&start=2026-09-01&end=2026-09-30").get_data(as_text=True)
    assert "Counting changed" not in text.split('id="metric-chart"', 1)[1].split("</section>", 1)[0]


def test_every_cross_platform_figure_shows_each_platform_part_beside_it(client, factory):
    """YouTube's developer policies: YouTube data combined with other sources stays clearly separated;
    the total followers and the engagement rate show each platform's own figure (YouTube's labelled)."""
    coach = factory.coach(email="coach4@example.com")
    c = factory.client(coach=coach, email="p@example.com", name="Pia")
    yt = h.connection(c, "youtube", username="pia_yt")
    ig = h.connection(c, "instagram", username="pia_ig")
    start = today() - timedelta(days=40)
    h.daily(yt, start, [800 + i for i in range(41)])
    h.daily(ig, start, [1_000 + 2 * i for i in range(41)])
    h.post(yt, today() - timedelta(days=3), likes=16, comments=4, followers=800, kind="video", views=900)
    h.post(ig, today() - timedelta(days=4), likes=50, comments=10, followers=1_000)
    client.login("p@example.com")
    text = client.get("/portal/analytics?range=30d").get_data(as_text=True)
    parts = text.split('data-testid="follower-parts">', 1)[1].split("</p>", 1)[0]
    assert "YouTube 840 (as reported by YouTube)" in parts
    assert "Instagram 1,080" in parts
    rates = text.split('data-testid="engagement-parts">', 1)[1].split("</p>", 1)[0]
    assert "YouTube 2.50% (YouTube&#39;s own)" in rates or "YouTube 2.50% (YouTube's own)" in rates
    assert "Instagram 6.00%" in rates


def test_kpi_tiles_show_compact_numbers_with_the_exact_one_at_hand(client, factory):
    coach = factory.coach(email="coach5@example.com")
    c = factory.client(coach=coach, email="k@example.com", name="Kai")
    ig = h.connection(c, "instagram", username="kai_ig")
    h.daily(ig, today() - timedelta(days=3), [12_300, 12_320, 12_340, 12_345])
    client.login("k@example.com")
    text = client.get("/portal/analytics?range=7d").get_data(as_text=True)
    kpi = text.split('data-testid="total-followers">', 1)[1].split("</p>", 1)[0]
    assert '<span aria-hidden="true">12.3K</span>' in kpi
    assert 'title="12,345"' in kpi
    assert '<span class="visually-hidden">12,345</span>' in kpi  # what a screen reader says
    assert "12,345" in text.split('id="breakdown-h"', 1)[1]  # tables keep the exact number
