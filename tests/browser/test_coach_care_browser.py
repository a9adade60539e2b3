"""Issue 16 in a real browser: the coach's Refresh now and snooze on the client page (HTMX, toasts, no CSP
violation), and axe on the new pages (impact, raw data, the client's Reports page with exports and consent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.test_accessibility import _serious
from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def site(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.stats.query import today
        from tests.factories import Factory
        from tests.support import history as h

        f = Factory()
        f.admin(email="admin@example.com", name="Avery Admin")
        coach = f.coach(email="coach@example.com", name="Maya Coach")
        c = f.client(coach=coach, email="c@example.com", name="Cora", program_start=today() - timedelta(days=90))
        ig = h.connection(c, "instagram", username="cora_ig", status="expiring")
        h.daily(
            ig, today() - timedelta(days=120), [3000 + 20 * i for i in range(100)] + [4980 - 5 * i for i in range(21)]
        )
        for i in range(8):
            h.post(ig, today() - timedelta(days=4 * i + 1), likes=30 + i, comments=3, followers=4000, caption=f"p{i}")
        done = datetime.combine(today() - timedelta(days=50), datetime.min.time(), tzinfo=UTC)
        f.deliverable(c, "M1", "Positioning", completed_at=done)
        ids = {"client": c.id}
    with serve_wsgi(app) as url:
        yield url, ids


def test_coach_refresh_and_snooze_on_the_client_page(site: Any, page: Any) -> None:
    from playwright.sync_api import expect

    url, ids = site
    log_in(page, url, "coach@example.com")
    page.goto(f"{url}/admin/clients/{ids['client']}")
    expect(page.locator("#attention-card")).to_contain_text("Instagram access about to expire")
    expect(page.locator("#attention-card")).to_contain_text("lost 70 followers in the last 14 days")
    accounts = page.locator("#accounts-card")
    accounts.get_by_role("button", name="Refresh now").click()
    expect(page.locator(".toast").last).to_contain_text("queued")
    page.locator("#accounts-card").get_by_role("button", name="Refresh now").click()
    expect(page.locator(".toast").last).to_contain_text("Try again in")
    card = page.locator("#attention-card")
    card.locator("li[data-reason='decline'] summary").click()
    card.locator("li[data-reason='decline']").get_by_label("Note").fill("Talked on Monday's call")
    card.locator("li[data-reason='decline']").get_by_role("button", name="Snooze").click()
    expect(page.locator("#attention-card")).to_contain_text("snoozed until")
    page.locator("#attention-card").get_by_text("Notes (1)").click()
    expect(page.locator("#attention-card")).to_contain_text("Talked on Monday's call")
    assert page.csp_violations == []


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("admin@example.com", "/admin/impact"),
        ("admin@example.com", "/admin/clients/{client}/data"),
        ("admin@example.com", "/admin/clients/{client}"),
        ("c@example.com", "/reports"),
    ],
)
def test_new_pages_have_no_serious_axe_violation(site: Any, page: Any, email: str, path: str) -> None:
    url, ids = site
    log_in(page, url, email)
    page.goto(f"{url}{path.format(**ids)}")
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
