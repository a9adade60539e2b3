"""A real browser connects a Facebook Page: Facebook Login at the sandbox, then the Page picker (issue 14)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import requires_chromium
from tests.support.live import serve_wsgi
from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401

pytestmark = [pytest.mark.browser, requires_chromium]


def test_client_picks_one_of_her_pages(
    make_app: Any,
    sandbox: SandboxControl,  # noqa: F811
    sandbox_url: str,  # noqa: F811
    page: Any,
) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    sandbox.create_account("facebook", "amara.music", 8_100, owner="Amara Nwosu", seed=51, display_name="Amara Music")
    sandbox.create_account("facebook", "amara.tours", 420, owner="Amara Nwosu", seed=52, display_name="Amara Tours")
    app = make_app(
        APP_ENV="development",
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_SECURE=False,
        TESTING=False,
        PLATFORM_SANDBOX_URL=sandbox_url,
    )
    with app.app_context():
        from tests.factories import Factory

        Factory().client(coach=Factory().coach(), email="amara@example.com", name="Amara Nwosu")
    with serve_wsgi(app) as url:
        app.config["OAUTH_REDIRECT_BASE"] = url
        app.config["PUBLIC_BASE_URL"] = url
        page.goto(f"{url}/login")
        page.get_by_label("Email").fill("amara@example.com")
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{url}/portal/settings/connections")
        page.locator("#conn-facebook").get_by_role("button", name="Connect").click()
        expect(page.get_by_text("not of personal profiles", exact=False)).to_be_visible()
        page.get_by_role("button", name=re.compile("Continue to Facebook")).click()
        expect(page).to_have_url(re.compile(re.escape(sandbox_url)))
        page.get_by_label(re.compile("Amara Nwosu")).check()
        page.get_by_role("button", name="Allow").click()
        # several Pages: the picker, on the portal
        expect(page).to_have_url(re.compile(rf"{re.escape(url)}/portal/settings/connections/facebook/pages\?pick="))
        expect(page.get_by_role("heading", name="Which Facebook Page is yours?")).to_be_visible()
        violations = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == []
        page.get_by_label(re.compile("Amara Tours")).check()
        page.get_by_role("button", name="Connect this Page").click()
        expect(page).to_have_url(re.compile(rf"{re.escape(url)}/portal/settings/connections/\d+/connected"))
        expect(page.locator("main")).to_contain_text("Amara Tours")
        page.goto(f"{url}/portal/settings/connections")
        expect(page.locator("#conn-facebook")).to_contain_text("amara.tours")
        assert page.csp_violations == []
