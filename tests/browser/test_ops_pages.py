"""The operations pages and the sync settings page in Chromium, at 1280 px and on a 390 px phone: no
serious accessibility violation (axe), nothing wider than the screen, and a failed job retried by
clicking its button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]
SHOTS = Path("/tmp/ops-shots")


@pytest.fixture
def site(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.extensions import db
        from app.models import OutboxEmail, SyncRun
        from app.models.outbox import EmailStatus
        from app.redis_conn import get_redis
        from app.services.quota_counters import youtube_units_key
        from tests.factories import Factory
        from tests.support import history as h

        f = Factory()
        f.admin(email="admin@example.com", name="Avery Admin")
        c = f.client(email="c@example.com", name="Cora")
        yt = h.connection(c, "youtube", username="cora_yt", last_error="The platform sent data we could not read.")
        db.session.add(
            SyncRun(
                connection_id=yt.id,
                trigger="daily",
                status="failed",
                error_class="bad_response",
                error_message="HTTP 200: response is not JSON",
                details={},
            )
        )
        email = OutboxEmail(
            to_address="cora@example.com",
            subject="Your weekly report",
            body_text="hi",
            kind="weekly_report",
            status=EmailStatus.FAILED,
            attempts=3,
            last_error="550 mailbox unavailable",
        )
        db.session.add(email)
        db.session.commit()
        get_redis().set(youtube_units_key(), 8100)
        ids = {"conn": yt.id, "email": email.id}
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


#: the first elements reaching past the right edge (named in the failure message)
WIDER_THAN_SCREEN = (
    "[...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
    ".slice(0, 8).map(e => `${e.tagName}.${e.className} ${e.id}`)"
)


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("width", [1280, 390])
def test_operations_pages_are_accessible_and_fit(site: Any, page: Any, width: int) -> None:
    url, ids = site
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, url, "admin@example.com")
    for path in ("/admin/ops/work", "/admin/ops/budgets", f"/portal/settings/connections/{ids['conn']}/sync"):
        page.goto(f"{url}{path}")
        assert _serious(page) == [], path
        wide = page.evaluate(WIDER_THAN_SCREEN)
        assert _fits(page), f"{path} is wider than {width} px: {wide}"
        assert page.csp_violations == []
        page.screenshot(path=str(SHOTS / f"{path.strip('/').replace('/', '_')}-{width}.png"), full_page=True)


def test_a_failed_email_is_retried_by_clicking_its_button(site: Any, page: Any) -> None:
    url, ids = site
    log_in(page, url, "admin@example.com")
    page.goto(f"{url}/admin/ops/work?kind=email")
    row = page.get_by_test_id(f"work-email-{ids['email']}@3")
    assert "550 mailbox unavailable" in row.inner_text()
    row.get_by_role("button", name="Retry").click()
    page.wait_for_load_state("networkidle")
    assert "queued again" in page.inner_text(".flashes")
    assert page.get_by_test_id(f"work-email-{ids['email']}@3").count() == 0
