"""Interaction details in a real browser (issue "Pages people enjoy"): a poll never takes the keyboard
user's focus, an error stays until dismissed, the icon is served."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def live(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.alerts import service
        from app.alerts.rules import Candidate
        from app.extensions import db
        from app.models import AlertType, Severity
        from tests.factories import Factory

        f = Factory()
        f.admin(email="admin@example.com", name="Avery Admin")
        c = f.client(name="Amara Nwosu", email="amara@example.com")
        service.record(
            Candidate(
                AlertType.LOW_ENGAGEMENT,
                Severity.WARNING,
                c.id,
                None,
                None,
                date(2026, 11, 30),
                "Engagement is low",
                "Engagement below 1.5%.",
                {},
            )
        )
        db.session.commit()  # record() leaves the commit to its caller
    with serve_wsgi(app) as url:
        yield url


def test_the_alert_feed_poll_never_takes_the_focus(live: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.clock.install()
    log_in(page, live, "admin@example.com")
    page.goto(f"{live}/admin/alerts")
    button = page.get_by_role("button", name="Mark all read")
    expect(button).to_be_visible()
    polls: list[str] = []
    page.on(
        "request",
        lambda r: (
            polls.append(r.url) if urlsplit(r.url).path == "/admin/alerts" and r.headers.get("hx-request") else None
        ),
    )
    button.focus()
    page.evaluate("document.activeElement.dataset.mine = '1'")  # a swapped-in copy would not carry it
    page.clock.run_for(65_000)  # three poll periods
    assert page.evaluate("document.activeElement && document.activeElement.dataset.mine") == "1"
    assert polls == []  # the poll was skipped while focus was inside the feed
    page.evaluate("document.activeElement.blur()")
    page.clock.run_for(21_000)
    page.wait_for_timeout(300)
    assert polls  # and resumes once focus leaves it


def test_an_error_stays_until_dismissed_and_a_notice_leaves(live: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.clock.install()
    log_in(page, live, "admin@example.com")
    page.goto(f"{live}/admin/clients")
    page.evaluate(
        """() => {
          document.dispatchEvent(new CustomEvent('toast', {detail: {message: 'It broke', level: 'error'}}));
          document.dispatchEvent(new CustomEvent('toast', {detail: {message: 'Saved', level: 'success'}}));
        }"""
    )
    page.clock.run_for(10_000)
    expect(page.locator(".toast-success")).to_have_count(0)
    error = page.get_by_role("alert").filter(has_text="It broke")
    expect(error).to_be_visible()
    error.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".toast-error")).to_have_count(0)


def test_the_icon_and_manifest_are_served(live: str, page: Any) -> None:
    resp = page.request.get(f"{live}/favicon.ico")
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("image/svg+xml")
    manifest = page.request.get(f"{live}/manifest.webmanifest")
    assert manifest.status == 200
    assert manifest.json()["name"] == "Creator Portal"
