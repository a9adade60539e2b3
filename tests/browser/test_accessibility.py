"""axe-core (axe-playwright-python, its own bundled copy: no CDN) on the main client and CRM pages: no
serious or critical violation (issue "Pages people enjoy")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

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
        c = f.client(email="c@example.com", name="Cora", program_start=today() - timedelta(days=40))
        f.deliverable(c, "M1", "Positioning")
        ig = h.connection(c, "instagram", username="cora_ig")
        yt = h.connection(c, "youtube", username="cora_yt")
        h.daily(ig, today() - timedelta(days=60), [1000 + 3 * i for i in range(61)])
        h.daily(yt, today() - timedelta(days=60), [5000 + 9 * i for i in range(61)])
        for i in range(8):
            h.post(ig, today() - timedelta(days=2 * i + 1), likes=30 + i, comments=3, followers=1100, caption=f"p{i}")
        ids = {"client": c.id}
    with serve_wsgi(app) as url:
        yield url, ids


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"]][:3]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} {targets}")
    return found


def test_login_page(site: Any, page: Any) -> None:
    url, _ = site
    page.goto(f"{url}/login")
    assert _serious(page) == []


@pytest.mark.parametrize("path", ["/portal/analytics", "/portal/analytics/instagram", "/portal/settings/connections"])
def test_client_pages(site: Any, page: Any, path: str) -> None:
    url, _ = site
    log_in(page, url, "c@example.com")
    page.goto(f"{url}{path}")
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []


@pytest.mark.parametrize(
    "path", ["/admin/clients", "/admin/clients/{client}", "/admin/portfolio", "/admin/alerts", "/admin/brand"]
)
def test_crm_pages(site: Any, page: Any, path: str) -> None:
    url, ids = site
    log_in(page, url, "admin@example.com")
    page.goto(f"{url}{path.format(**ids)}")
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []


@pytest.mark.parametrize(
    ("email", "path"), [("c@example.com", "/portal/analytics"), ("admin@example.com", "/admin/clients/{client}")]
)
def test_dark_mode_pages(site: Any, browser: Any, email: str, path: str) -> None:
    """The system's dark mode: Pico's dark colours and ours keep contrast (axe checks it)."""
    url, ids = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page = context.new_page()
    try:
        log_in(page, url, email)
        page.goto(f"{url}{path.format(**ids)}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
        assert _serious(page) == []
    finally:
        context.close()
