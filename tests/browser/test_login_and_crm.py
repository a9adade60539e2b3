"""A real browser logs in, navigates the CRM and uses its HTMX widgets, with no CSP violations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import BROWSER_APP, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def live(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from tests.factories import Factory

        f = Factory()
        coach = f.coach(email="coach@example.com", name="Maya Coach")
        c = f.client(coach=coach, name="Amara Nwosu", email="amara@example.com")
        f.deliverable(c, "M1", "Positioning")
        f.client(coach=coach, name="Zed Zulu")
    with serve_wsgi(app) as url:
        yield url


def test_login_navigate_and_edit_with_htmx(live: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live}/admin/clients")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("coach@example.com")
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live}/admin/clients")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()

    # live search swaps only the table and pushes the URL
    page.get_by_placeholder("Search by name or email").fill("amara")
    expect(page.locator("#client-table")).not_to_contain_text("Zed Zulu")
    expect(page).to_have_url(re.compile(r"q=amara"))

    page.get_by_role("link", name="Amara Nwosu").click()
    expect(page.get_by_role("heading", name="Amara Nwosu")).to_be_visible()

    # the program card replaces itself: edit, a bad date, then a good one
    page.locator("#program-card").get_by_role("button", name="Edit").click()
    page.get_by_label("Start").fill("2026-03-01")
    page.get_by_label("End").fill("2026-02-01")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#program-card")).to_contain_text("cannot end before")
    page.get_by_label("End").fill("2026-09-01")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#program-card")).to_contain_text("Sep 1, 2026")
    expect(page.locator("#toasts")).to_contain_text("Program saved")

    # mark the deliverable complete
    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#deliverables-card")).to_contain_text("Complete")

    # log out really logs out
    page.locator("summary", has_text="Maya Coach").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live}/login")
    page.goto(f"{live}/admin/clients")
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.csp_violations == []


@pytest.mark.parametrize(("email", "home"), [("coach@example.com", "/admin/clients"), ("amara@example.com", "/portal")])
def test_phone_layout_has_no_horizontal_scroll(live: str, browser: Any, email: str, home: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    pg = context.new_page()
    pg.goto(f"{live}/login")
    pg.get_by_label("Email").fill(email)
    pg.get_by_label("Password").fill("correct-horse-battery")
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{live}{home}")
    overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    context.close()
