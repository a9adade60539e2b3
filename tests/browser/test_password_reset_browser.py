"""The password reset in a real browser: the link on the login page, the emailed link, the new password."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.browser import BROWSER_APP, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def site(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from tests.factories import Factory

        Factory().client(email="c@example.com", name="Cora")
    with serve_wsgi(app) as url:
        yield app, url


def _reset_link(app: Any) -> str:
    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import OutboxEmail

        body = (
            db.session.execute(
                select(OutboxEmail.body_text).where(OutboxEmail.to_address == "c@example.com").order_by(OutboxEmail.id)
            )
            .scalars()
            .all()[-1]
        )
    found = re.search(r"https?://\S+/password/reset/\S+", body)
    assert found, body
    return urlsplit(found.group(0)).path  # the link's path on the live server


def test_forgot_password_through_the_emailed_link(site: Any, page: Any) -> None:
    from playwright.sync_api import expect

    app, url = site
    page.goto(f"{url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("c@example.com")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_text("If an account exists for that address")).to_be_visible()
    page.goto(f"{url}{_reset_link(app)}")
    page.get_by_label("New password").fill("a-brand-new-password")
    page.get_by_label("Repeat the password").fill("a-brand-new-password")
    page.get_by_role("button", name="Set the new password").click()
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill("c@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")  # the old one
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill("a-brand-new-password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/portal"))
    assert page.csp_violations == []  # type: ignore[attr-defined]
