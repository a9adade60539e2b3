"""An open page shows new numbers within seconds of a sync, without a reload, keeping focus and scroll."""

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
        c = f.client(email="c@example.com", name="Cora")
        ig = h.connection(c, "instagram")
        h.daily(ig, today() - timedelta(days=30), [1000 + i for i in range(30)])  # up to yesterday: 1,029
        ids = {"client": c.id, "connection": ig.id}
    with serve_wsgi(app) as url:
        yield app, url, ids


def test_the_overview_updates_after_a_sync_without_a_reload(site: Any, page: Any) -> None:
    from playwright.sync_api import expect

    app, url, ids = site
    log_in(page, url, "c@example.com")
    page.goto(f"{url}/portal/analytics")
    total = page.get_by_test_id("total-followers")
    expect(total).to_have_text("1,029")
    page.evaluate("window.__still_here = 1; window.scrollTo(0, 200)")
    select = page.locator("form.stats-filters select[name=range]")
    select.focus()
    with app.app_context():  # what a sync does: today's number, then the version bump
        from app.extensions import db
        from app.models import DailySnapshot
        from app.services import live
        from app.stats.query import today

        db.session.add(DailySnapshot(connection_id=ids["connection"], day=today(), followers=1_500))
        db.session.commit()
        live.bump([ids["client"]])
    expect(total).to_have_text("1,500", timeout=12_000)  # a 5 s poll, then the body re-fetched
    assert page.evaluate("window.__still_here") == 1  # no reload
    assert page.evaluate("document.activeElement.name") == "range"  # focus kept
    assert page.evaluate("window.scrollY") >= 150  # scroll kept


def test_a_new_comment_appears_in_an_open_inbox_without_a_reload(site: Any, page: Any) -> None:
    from playwright.sync_api import expect

    app, url, ids = site
    log_in(page, url, "c@example.com")
    page.goto(f"{url}/portal/inbox")
    expect(page.get_by_text("No comments here")).to_be_visible()
    page.evaluate("window.__still_here = 1")
    with app.app_context():  # what the sync's comment step (or a webhook) does: the row, then the bump
        from app.extensions import db
        from app.models import Comment
        from app.models.base import utcnow
        from app.services import live

        db.session.add(
            Comment(
                connection_id=ids["connection"],
                client_id=ids["client"],
                platform="instagram",
                platform_id="17800000000000999",
                post_platform_id="p1",
                text="Just saw this, how did you do it? <script>x</script>",
                is_question=True,
                author_handle="fan_live",
                published_at=utcnow(),
            )
        )
        db.session.commit()
        live.bump([ids["client"]])
    expect(page.get_by_text("Just saw this, how did you do it? <script>x</script>")).to_be_visible(timeout=12_000)
    assert page.evaluate("window.__still_here") == 1  # no reload
