"""axe-core (desktop) and no sideways scrolling (phone) on the fans and tactics parts of the pages (issue 19):
the platform page with tactics and fans, a post's tactic form, the CRM client page, the public link page and a
fan's private page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.test_accessibility import _serious
from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.fixture
def site(make_app: Any) -> Any:
    # a deployment with a Google (YouTube) app: the Google sign-in is offered only then
    app = make_app(**BROWSER_APP, YOUTUBE_CLIENT_ID="browser-google-client", YOUTUBE_CLIENT_SECRET="browser-secret")
    with app.app_context():
        from app.extensions import db
        from app.models import Comment, ContentTactic
        from app.models.base import utcnow
        from app.services import fan_links
        from app.stats.query import today
        from tests.factories import Factory
        from tests.support import history as h

        f = Factory()
        coach = f.coach(email="coach@example.com", name="Cole Coach")
        c = f.client(coach=coach, email="c@example.com", name="Cora", program_start=today() - timedelta(days=40))
        ig = h.connection(c, "instagram", username="cora_ig")
        yt = h.connection(c, "youtube", username="cora_yt")
        h.daily(ig, today() - timedelta(days=20), [1000 + 3 * i for i in range(21)])
        h.daily(yt, today() - timedelta(days=20), [5000 + 9 * i for i in range(21)])
        posts = [
            h.post(ig, today() - timedelta(days=i + 1), likes=20 + 10 * i, kind="reel", views=900 + i, caption=f"p{i}")
            for i in range(7)
        ]
        for p in posts[:3]:
            db.session.add(ContentTactic(content_item_id=p.id, tactic="collab"))
        for n in range(6):
            db.session.add(
                Comment(
                    connection_id=ig.id,
                    client_id=c.id,
                    content_item_id=posts[n % 3].id,
                    platform="instagram",
                    platform_id=f"1780000000000{n}",
                    post_platform_id=posts[n % 3].platform_id,
                    text="Love it",
                    author_handle=f"fan{n % 2}",
                    author_platform_id=f"a{n % 2}",
                    published_at=utcnow() - timedelta(days=n + 1),
                )
            )
        db.session.commit()
        fan_links.page_for_client(c, create=True)
        secret = fan_links.start(c, "Biz", "yes", {"instagram": "fan0", "youtube": "fan0"})
        page = fan_links.page_for_client(c)
        assert page is not None
        ids = {"client": c.id, "post": posts[0].id, "token": page.token, "secret": secret}
    with serve_wsgi(app) as url:
        yield url, ids


def test_pages_have_no_serious_violations(site: Any, page: Any, browser: Any) -> None:
    url, ids = site
    page.goto(f"{url}/link/{ids['token']}")
    assert page.get_by_role("heading", name="Link your accounts").is_visible()
    assert _serious(page) == []
    page.goto(f"{url}/link/{ids['token']}/me/{ids['secret']}")
    assert page.get_by_text("LINK-").first.is_visible()
    assert page.get_by_test_id("signin-youtube").is_visible()  # Google sign-in beside YouTube's code
    assert page.get_by_test_id("signin-instagram").count() == 0
    assert _serious(page) == []
    log_in(page, url, "c@example.com")
    for path in ("/portal/analytics/instagram", f"/portal/analytics/content/{ids['post']}"):
        page.goto(f"{url}{path}")
        page.wait_for_load_state("networkidle")
        assert _serious(page) == [], path
    page.goto(f"{url}/portal/analytics/instagram")
    assert page.get_by_test_id("tactics-table").is_visible()
    assert page.get_by_test_id("fans").is_visible()
    # the coach in a context of their own: a fresh session, not the client's cookies cleared
    coach_context = browser.new_context()
    try:
        coach = coach_context.new_page()
        log_in(coach, url, "coach@example.com")
        coach.goto(f"{url}/admin/clients/{ids['client']}")
        coach.wait_for_load_state("networkidle")
        assert coach.get_by_role("heading", name="Tactics").is_visible()
        assert _serious(coach) == []
        # the programme card's edit form with the client's report format
        coach.locator("#program-card").get_by_role("button", name="Edit").click()
        coach.get_by_label("Report dates and numbers").select_option("de")
        coach.locator("#program-card").get_by_role("button", name="Save").click()
        coach.wait_for_load_state("networkidle")
        assert "Deutsch" in coach.locator("#program-card").inner_text()
        assert _serious(coach) == []
    finally:
        coach_context.close()


def test_crm_page_and_phone_width(site: Any, browser: Any) -> None:
    url, ids = site
    for email, path in (
        ("coach@example.com", f"/admin/clients/{ids['client']}"),
        ("c@example.com", "/portal/analytics/instagram"),
        (None, f"/link/{ids['token']}/me/{ids['secret']}"),  # the fan's private page with the sign-in button
    ):
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        try:
            if email:
                log_in(page, url, email)
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, path
        finally:
            context.close()
