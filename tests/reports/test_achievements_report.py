"""The programme report's achievements in the page and the PDF, and "Share on LinkedIn"."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from app.reports import build, service
from tests.reports.test_reports import _text, needs_pdftotext
from tests.support import history

START = date(2026, 6, 10)
TODAY = date(2026, 11, 20)
XSS = "<script>alert(1)</script>"


def _client(factory):
    c = factory.client(name=XSS, email="ann@example.com", program_start=START, program_end=date(2026, 11, 10))
    ig = history.connection(c, "instagram", username="ann")
    # 9,000 on Jun 9 (the baseline), +20 a day: 10,000 fifty days later, on Jul 29
    history.daily(ig, START - timedelta(days=1), [9000 + 20 * i for i in range(155)])
    return c


@needs_pdftotext
def test_hit_10k_in_month_2_in_payload_and_pdf(app, client, factory):
    c = _client(factory)
    r = build.program(c, TODAY, charts=False)
    [hit] = r["achievements"]["crossed"]
    assert hit["day"] == "2026-07-29"  # 9,000 + 20 x 50 days (Jun 9 + 50 = Jul 29)
    assert hit["month"] == 2  # Jun 10 .. Jul 9 is month 1, Jul 10 .. Aug 9 month 2
    assert hit["line"] == "Hit 10K followers - Month 2 (July 2026)"
    html = build.program(c, TODAY, charts=False)
    pdf = service.render_report_pdf(html)
    text = _text(pdf)
    assert "Hit 10K followers - Month 2 (July 2026)" in text
    assert "Best month" in text


def test_share_on_linkedin_links_the_public_page(app, client, factory):
    _client(factory)
    client.login("ann@example.com")
    body = client.hx("POST", "/reports/share", data={"enabled": "1"}).get_data(as_text=True)
    share_url = body.split("<code>")[1].split("</code>")[0]
    href = body.split('data-testid="share-linkedin"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/sharing/share-offsite/")
    assert parse_qs(parts.query) == {"url": [share_url]}
    off = client.hx("POST", "/reports/share", data={"enabled": "0"}).get_data(as_text=True)
    assert "share-linkedin" not in off
