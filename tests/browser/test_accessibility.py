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
        from app.extensions import db
        from app.models import Comment
        from app.models.base import utcnow

        texts = ["Where did you get that jacket?", "<b>bold</b> ما شاء الله 😍", "Love it"]
        for n, text in enumerate(texts):
            db.session.add(
                Comment(
                    connection_id=ig.id,
                    client_id=c.id,
                    platform="instagram",
                    platform_id=f"17800000000000{n}",
                    post_platform_id="p0",
                    text=text,
                    is_question=n == 0,
                    author_handle=f"fan{n}",
                    published_at=utcnow() - timedelta(hours=n + 1),
                )
            )
        # a TikTok business account's comment, hearted and pinned by the creator (the inbox's extra marks)
        tt = h.connection(c, "tiktok", username="cora_tt", account_type="business")
        db.session.add(
            Comment(
                connection_id=tt.id,
                client_id=c.id,
                platform="tiktok",
                platform_id="7300000000000000001",
                post_platform_id="v0",
                text="Love the moves 🔥",
                author_handle="tt_fan",
                author_name="TT Fan",
                liked_by_owner=True,
                pinned=True,
                published_at=utcnow() - timedelta(hours=5),  # the oldest: last in the list
            )
        )
        db.session.commit()
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


@pytest.mark.parametrize(
    "path", ["/portal/analytics", "/portal/analytics/instagram", "/portal/settings/connections", "/portal/inbox"]
)
def test_client_pages(site: Any, page: Any, path: str) -> None:
    url, _ = site
    log_in(page, url, "c@example.com")
    page.goto(f"{url}{path}")
    page.wait_for_load_state("networkidle")
    assert _serious(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/clients",
        "/admin/clients/{client}",
        "/admin/portfolio",
        "/admin/alerts",
        "/admin/brand",
        "/admin/clients/{client}/comments",
    ],
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


def test_inbox_on_a_phone_with_the_keyboard(site: Any, browser: Any) -> None:
    """The inbox at 375 px: nothing wider than the screen; a comment selected and marked read by keyboard."""
    url, _ = site
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        log_in(page, url, "c@example.com")
        page.goto(f"{url}/portal/inbox")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert _serious(page) == []
        assert page.locator(".badge-question").count() == 1
        assert page.locator("[data-testid=pinned]").count() == 1
        assert page.locator("[data-testid=liked]").count() == 1
        box = page.locator("input[name=ids]").first
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()
        page.get_by_role("button", name="Mark read").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("text=1 comment marked read.")
        assert "0 unread" not in page.content()
        assert "3 unread" in page.content()  # 4 comments (3 Instagram, 1 TikTok), one marked read
    finally:
        context.close()
