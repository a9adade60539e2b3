"""The programme report page in a real browser: the branded cover, headline numbers and summary are
visible, nothing overflows sideways on a laptop or a phone (a long handle wraps), no CSP violation; a
screenshot is taken and checked (``REPORT_SCREENSHOT=path.png`` keeps it, e.g. for the README)."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from tests.support.browser import BROWSER_APP, log_in, requires_chromium
from tests.support.live import serve_wsgi

pytestmark = [pytest.mark.browser, requires_chromium]
HANDLE = "maya.moves.with.a.very.long.handle_that_goes_on_and_on"


@pytest.fixture
def live(make_app: Any) -> Any:
    app = make_app(**BROWSER_APP)
    with app.app_context():
        from app.extensions import db
        from app.models import Report
        from app.reports import service
        from app.services import brand
        from tests.factories import Factory
        from tests.support import history

        logo = io.BytesIO()
        Image.new("RGB", (240, 80), "#7c2d12").save(logo, "PNG")
        brand.save(
            business_name="Northwind Coaching",
            primary_colour="#7c2d12",
            sender_name=None,
            reply_to=None,
            footer="Growth you can show",
            locale=None,
            logo=logo.getvalue(),
        )
        f = Factory()
        coach = f.coach(email="coach@example.com")
        start, end = date(2026, 9, 1), date(2026, 11, 15)
        c = f.client(coach=coach, name="Maya Okafor", email="maya@example.com", program_start=start, program_end=end)
        ig = history.connection(c, "instagram", username=HANDLE)
        history.daily(ig, start - timedelta(days=1), [4000 + 25 * i for i in range(77)])
        tt = history.connection(c, "tiktok", username="maya.moves")
        history.daily(tt, start - timedelta(days=1), [9000 + 60 * i for i in range(77)])
        f.deliverable(c, "M1", "Brand audit", completed_at=datetime(2026, 9, 20, 9, tzinfo=UTC))
        f.deliverable(c, "M2", "Content plan", completed_at=datetime(2026, 10, 18, 9, tzinfo=UTC))
        f.deliverable(c, "M3", "Launch series")
        for d in (6, 13, 20, 27):
            history.post(
                ig,
                datetime(2026, 10, d, 12, 30, tzinfo=UTC),
                likes=400,
                comments=40,
                followers=5000,
                hashtags=["reels"],
                caption=f"Three moves for stronger mornings, day {d} #reels",
            )
        report = Report(
            kind="program",
            client_id=c.id,
            period_start=start,
            period_end=end,
            status="queued",
            progress=0,
            coach_comment="Maya tripled her weekly reach in October: keep the series going.",
        )
        db.session.add(report)
        week = Report(kind="weekly", client_id=c.id, period_start=date(2026, 11, 9), period_end=end, status="queued")
        october = {"period_start": date(2026, 10, 1), "period_end": date(2026, 10, 31)}
        month = Report(kind="monthly", client_id=c.id, status="queued", **october)
        db.session.add_all([week, month])
        db.session.commit()
        for r in (report, week, month):
            service.generate(r.id)
        ids = {"program": report.id, "weekly": week.id, "monthly": month.id}
    with serve_wsgi(app) as url:
        yield url, ids


@pytest.mark.parametrize("width", [1280, 390])
def test_programme_report_page(live: Any, page: Any, width: int) -> None:
    from playwright.sync_api import expect

    url, ids = live
    report_id = ids["program"]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, url, "maya@example.com")
    page.goto(f"{url}/reports/{report_id}")
    expect(page.get_by_role("heading", level=1, name="Maya Okafor")).to_be_visible()
    cover = page.locator(".report-cover")
    expect(cover).to_contain_text("Followers gained")
    expect(cover).to_contain_text("+6,460")  # (4,000 + 25·76) + (9,000 + 60·76) − 13,000
    expect(cover).to_contain_text("Engagement was 8.8% (in the last 30 days; no posts in the first 30")
    expect(cover).to_contain_text("What to do next.")
    expect(page.locator(".site-header .brand")).to_contain_text("Northwind Coaching")
    expect(page.locator(".report-chart svg")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px: {wide}"
    assert page.csp_violations == []
    if width == 1280:
        from tests.browser.test_accessibility import _serious

        assert _serious(page) == []
    shot = page.screenshot(full_page=width == 1280)
    img = Image.open(io.BytesIO(shot)).convert("RGB")
    assert img.size[0] == width
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # a rendered page, not a blank one
    assert any(abs(r - 0x7C) < 10 and abs(g - 0x2D) < 10 and abs(b - 0x12) < 10 for _, (r, g, b) in colours)
    keep = os.environ.get("REPORT_SCREENSHOT")
    if keep and width == 1280:
        page.screenshot(path=keep, full_page=False)


@pytest.mark.parametrize(
    ("kind", "title", "change"),
    [
        # weekly: Nov 8 → Nov 15, 7 days of +25 and +60: 7 × 85 = +595
        ("weekly", "Weekly growth report", "+595"),
        # monthly: Sep 30 → Oct 31, 31 days of +85: +2,635
        ("monthly", "Monthly growth report", "+2,635"),
    ],
)
def test_weekly_and_monthly_report_pages(live: Any, page: Any, kind: str, title: str, change: str) -> None:
    """The weekly and monthly reports as the emailed link's page: cover, rating, brand, no sideways scroll
    on a phone (a long handle), no CSP violation."""
    from playwright.sync_api import expect

    url, ids = live
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, url, "maya@example.com")
    page.goto(f"{url}/reports/{ids[kind]}")
    expect(page.get_by_role("heading", level=1, name="Maya Okafor")).to_be_visible()
    cover = page.locator(".report-cover")
    expect(cover).to_contain_text(title)
    expect(cover).to_contain_text(change)
    expect(cover).to_contain_text("Rating:")
    expect(cover).to_contain_text("this month, +" if kind == "monthly" else "this week (")  # the rating line
    expect(page.locator(".site-header .brand")).to_contain_text("Northwind Coaching")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {kind} page scrolls sideways by {overflow}px on a phone"
    assert page.csp_violations == []
    img = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50
    assert any(abs(r - 0x7C) < 10 and abs(g - 0x2D) < 10 and abs(b - 0x12) < 10 for _, (r, g, b) in colours)
