"""A real browser connects a sandbox Instagram account through the consent page (issue 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import requires_chromium
from tests.support.live import serve_wsgi
from tests.support.sandbox import SandboxControl, sandbox, sandbox_app, sandbox_url  # noqa: F401

pytestmark = [pytest.mark.browser, requires_chromium]


def test_client_connects_instagram_through_the_consent_page(
    make_app: Any,
    sandbox: SandboxControl,  # noqa: F811
    sandbox_url: str,  # noqa: F811
    page: Any,
) -> None:
    from playwright.sync_api import expect

    sandbox.create_account("instagram", "amara.creates", 12_345, seed=3, account_type="MEDIA_CREATOR")
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
        page.locator("#conn-instagram").get_by_role("button", name="Connect").click()
        expect(page.get_by_text("professional", exact=False).first).to_be_visible()  # account type explained
        page.get_by_role("button", name=re.compile("Continue to Instagram")).click()
        # the sandbox's consent page, on the sandbox origin
        expect(page).to_have_url(re.compile(re.escape(sandbox_url)))
        page.get_by_label(re.compile("amara.creates")).check()
        page.get_by_role("button", name="Allow").click()
        # back on the portal: a clean URL (no code/state; browsers keep Instagram's "#_" fragment)
        expect(page).to_have_url(re.compile(rf"{re.escape(url)}/portal/settings/connections/\d+/connected(#_)?$"))
        expect(page.locator("main")).to_contain_text("amara.creates")
        page.goto(f"{url}/portal/settings/connections")
        expect(page.locator("#conn-instagram")).to_contain_text("amara.creates")
        assert page.csp_violations == []
