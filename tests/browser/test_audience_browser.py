"""The Audience section in a real browser: axe (no serious or critical violation) on the platform pages
and the coach's client page, and no sideways scroll on a 375 px phone (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def site(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.extensions import db
        from app.models import AccountInsight, AudienceSnapshot, StoryItem
        from app.stats.query import today
        from tests.factories import Factory
        from tests.support import history as h

        f = Factory()
        f.admin(email="admin@example.com", name="Avery Admin")
        c = f.client(email="c@example.com", name="Cora")
        ig = h.connection(c, "instagram", username="cora_ig")
        yt = h.connection(c, "youtube", username="cora_yt")
        h.daily(ig, today() - timedelta(days=30), [1000 + 3 * i for i in range(31)])
        h.daily(yt, today() - timedelta(days=30), [5000 + 9 * i for i in range(31)])
        fb = h.connection(c, "facebook", username="cora.cooks", account_type="PAGE")
        h.daily(fb, today() - timedelta(days=30), [12_000 + 5 * i for i in range(31)])
        h.post(ig, today() - timedelta(days=2), likes=30, comments=3, followers=1090, caption="one post")
        hours = {str(i): float(10 + (40 if 17 <= i <= 21 else 0)) for i in range(24)}
        db.session.add_all(
            [
                AudienceSnapshot(
                    connection_id=ig.id,
                    taken_on=today() - timedelta(days=1),
                    payload={
                        "age": {"13-17": 2.0, "18-24": 30.0, "25-34": 40.0, "35-44": 18.0, "45-54": 10.0},
                        "gender": {"female": 62.0, "male": 36.0, "other": 2.0},
                        "countries": [{"code": c, "share": s} for c, s in (("BR", 40.0), ("US", 35.0), ("PT", 25.0))],
                        "cities": [
                            {"name": "Sao Paulo, Sao Paulo", "share": 60.0},
                            {"name": "Lisbon, Lisbon", "share": 40.0},
                        ],
                        "online_hours": hours,
                    },
                ),
                AudienceSnapshot(
                    connection_id=yt.id,
                    taken_on=today() - timedelta(days=1),
                    payload={
                        "age": {"18-24": 45.0, "25-34": 55.0},
                        "gender": {"female": 30.0, "male": 70.0},
                        "traffic_sources": {"YT_SEARCH": 50.0, "SUBSCRIBER": 30.0, "RELATED_VIDEO": 20.0},
                        "devices": {"MOBILE": 70.0, "DESKTOP": 25.0, "TV": 5.0},
                        "content_types": {"shorts": 60.0, "long_form": 40.0},
                    },
                ),
                # a Facebook Page: countries and cities with their follower counts (page_follows_*)
                AudienceSnapshot(
                    connection_id=fb.id,
                    taken_on=today() - timedelta(days=1),
                    payload={
                        "countries": [
                            {"code": c, "share": s, "followers": n}
                            for c, s, n in (("IN", 70.0, 8_400), ("GB", 20.0, 2_400), ("other", 10.0, 1_200))
                        ],
                        "cities": [
                            {"name": "Thiruvananthapuram, Kerala", "share": 55.0, "followers": 5_500},
                            {"name": "London, England", "share": 45.0, "followers": 4_500},
                        ],
                    },
                ),
                # five weeks older: the "Audience over time" table
                AudienceSnapshot(
                    connection_id=ig.id,
                    taken_on=today() - timedelta(days=36),
                    payload={
                        "age": {"18-24": 25.0, "25-34": 45.0, "35-44": 30.0},
                        "gender": {"female": 60.0, "male": 40.0},
                    },
                ),
            ]
        )
        video = h.post(yt, today() - timedelta(days=9), likes=40, views=2000, kind="video", caption="a long video")
        from app.models import VideoAnalytics

        db.session.add(
            VideoAnalytics(
                content_item_id=video.id,
                window_start=today() - timedelta(days=30),
                window_end=today() - timedelta(days=3),
                views=1800,
                watch_time_seconds=1800 * 150,
                avg_view_duration_s=150,
                avg_view_pct=42.0,
                retention=[[i / 100, round(0.42 * (1.5 - i / 100), 4)] for i in range(1, 101)],
            )
        )
        for i in range(14):
            day = today() - timedelta(days=17 - i)
            for metric, value in (("views", 300 + 10 * i), ("watch_time", 9000 + 60 * i), ("avg_view_duration", 95)):
                db.session.add(AccountInsight(connection_id=yt.id, day=day, metric=metric, value=value))
        published = datetime.now(UTC) - timedelta(days=1)
        db.session.add(
            StoryItem(
                connection_id=ig.id,
                platform_id="s1",
                media_type="IMAGE",
                published_at=published,
                expires_at=published + timedelta(hours=24),
                views=420,
                reach=380,
                replies=3,
                taps_forward=200,
                exits=30,
            )
        )
        db.session.commit()
        ids = {"client": c.id, "video": video.id}
    with serve_wsgi(app) as url:
        yield url, ids


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("c@example.com", "/portal/analytics/instagram"),
        ("c@example.com", "/portal/analytics/youtube"),
        ("c@example.com", "/portal/analytics/facebook"),
        ("admin@example.com", "/admin/clients/{client}"),
        ("c@example.com", "/portal/analytics/content/{video}"),
        ("admin@example.com", "/admin/clients/{client}/content/{video}"),
    ],
)
def test_audience_pages_pass_axe(site: Any, page: Any, email: str, path: str) -> None:
    url, ids = site
    log_in(page, url, email)
    page.goto(f"{url}{path.format(**ids)}")
    page.wait_for_load_state("networkidle")
    heading = "Watch time and retention" if "content" in path else "Audience"
    assert page.get_by_role("heading", name=heading).first.is_visible()
    if "youtube" in path:
        assert page.get_by_text("YouTube does not tell apps when followers are online.").is_visible()
    if "facebook" in path:
        assert page.get_by_role("columnheader", name="Followers").first.is_visible()
        assert page.get_by_text("Meta removed the followers' age and gender from its API in 2024.").is_visible()
    assert _serious(page) == []


def test_audience_section_on_a_phone(site: Any, browser: Any, tmp_path: Any) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        log_in(page, url, "c@example.com")
        page.goto(f"{url}/portal/analytics/instagram")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        heading = page.get_by_role("heading", name="When followers are online")
        heading.scroll_into_view_if_needed()
        assert heading.is_visible()
        page.locator("section.audience").screenshot(path=str(tmp_path / "audience-phone.png"))
        page.screenshot(path="/tmp/audience-phone-full.png", full_page=True)
    finally:
        context.close()


def test_a_facebook_pages_countries_on_a_phone(site: Any, browser: Any) -> None:
    url, _ = site
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        log_in(page, url, "c@example.com")
        page.goto(f"{url}/portal/analytics/facebook")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        heading = page.get_by_role("heading", name="Countries")
        heading.scroll_into_view_if_needed()
        assert heading.is_visible()
        page.locator("section.audience").screenshot(path="/tmp/fb-audience-phone.png")
    finally:
        context.close()


def test_the_platform_pages_metric_selector_swaps_the_insight_chart(site: Any, page: Any) -> None:
    url, _ = site
    log_in(page, url, "c@example.com")
    page.goto(f"{url}/portal/analytics/youtube?range=30d")
    page.wait_for_load_state("networkidle")
    assert page.locator("#metric-chart #insights-svg-t").inner_text() == "YouTube insights by day"
    page.locator("form.stats-filters select[name=metric]").select_option("watch_time_minutes")
    chart = page.locator("#metric-chart")
    chart.locator("#insights-svg-t", has_text="YouTube: Watch time (minutes) by day").wait_for()
    # nothing else answers the metric's change: the content filter once listened to every select on the
    # page and pushed its own address (without the metric) when its answer came last
    page.wait_for_load_state("networkidle")
    assert "metric=watch_time_minutes" in page.url  # linkable
    # the table of the chart: the 14 days, the first 9,000 s = 150 minutes
    chart.get_by_text("Show the data as a table").click()
    assert chart.locator("tbody tr").count() == 14
    assert chart.locator("tbody tr").first.locator("td").inner_text() == "150"
    assert _serious(page) == []
