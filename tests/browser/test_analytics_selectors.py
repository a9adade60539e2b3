"""A real browser uses the analytics selectors: only the body swaps, the URL is pushed, back/forward work,
charts render with their CSP nonce (no violations) and tooltips come from the local script."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.support.browser import BROWSER_APP, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def live(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.stats.query import today
        from tests.factories import Factory
        from tests.support import history as h

        f = Factory()
        c = f.client(email="c@example.com", name="Cora")
        ig = h.connection(c, "instagram")
        tt = h.connection(c, "tiktok")
        h.daily(ig, today() - timedelta(days=120), [1000 + 4 * i for i in range(121)])
        h.daily(tt, today() - timedelta(days=120), [300 + i for i in range(121)])
        for i in range(6):
            h.post(ig, today() - timedelta(days=i * 3 + 1), likes=20 + i, followers=1400)
    with serve_wsgi(app) as url:
        yield url


def test_selectors_swap_push_url_and_history(live: str, page: Any) -> None:
    from playwright.sync_api import expect

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("c@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live}/portal/analytics")
    expect(page.locator("#growth-chart svg")).to_be_visible()
    assert violations == [], "initial: " + "\n".join(violations)
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.locator("form.stats-filters select[name=range]").select_option("7d")
    expect(page).to_have_url(re.compile(r"range=7d"))
    expect(page.locator("#analytics-body")).to_contain_text("last 7 days")
    page.locator("form.stats-filters select[name=platform]").select_option("tiktok")
    expect(page).to_have_url(re.compile(r"platform=tiktok"))
    page.locator("form.stats-filters select[name=metric]").select_option("posts")
    expect(page).to_have_url(re.compile(r"metric=posts"))
    expect(page.locator("#metric-chart svg")).to_be_visible()
    assert page.evaluate("window.__marker") == 1
    page.go_back()
    expect(page).to_have_url(re.compile(r"platform=tiktok"))
    expect(page).not_to_have_url(re.compile(r"metric=posts"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"platform=tiktok"))
    expect(page).to_have_url(re.compile(r"range=7d"))
    page.go_forward()
    expect(page).to_have_url(re.compile(r"platform=tiktok"))
    expect(page.locator("#analytics-body")).to_be_visible()
    # offline tooltips (app.js adds them once the restored page has settled: wait for it, not a race)
    expect(page.locator(".pygal-chart .dots title").first).to_be_attached()
    assert violations == [], "\n".join(violations)


def test_chart_labels_stay_legible_on_a_phone(live: str, browser: Any) -> None:
    """At 390 px the chart keeps its labels at 10 px or more (it scrolls sideways instead of shrinking)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live}/login")
        page.get_by_label("Email").fill("c@example.com")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live}/portal/analytics")
        page.locator("#growth-chart svg").wait_for()
        sizes = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                   '#growth-chart svg .axis text, #growth-chart svg .legend text'))
                 .map(t => t.getBoundingClientRect().height).filter(h => h > 0)"""
        )
        assert sizes
        assert min(sizes) >= 10, sizes
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    finally:
        context.close()
