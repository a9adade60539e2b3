"""CRM analytics: the client social overview, the portfolio and cohorts (full, partial, bad input, XSS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.stats.query import today
from tests.support import history as h

XSS = '<script>alert(1)</script>"><svg onload=alert(2)>'


@pytest.fixture
def book(factory):
    coach = factory.coach(email="coach@example.com")
    a = factory.client(coach=coach, name="Ann", program_start=today() - timedelta(days=80))
    ig = h.connection(a, "instagram")
    h.daily(ig, today() - timedelta(days=100), [1000 + 10 * i for i in range(101)])
    factory.deliverable(
        a, "M1", completed_at=datetime.combine(today() - timedelta(days=50), datetime.min.time(), tzinfo=UTC)
    )
    factory.deliverable(a, "M2")
    b = factory.client(coach=coach, name=XSS)
    yt = h.connection(b, "youtube", username=XSS)
    h.daily(yt, today() - timedelta(days=20), [500 - i for i in range(21)])
    return coach, a, b


def test_client_page_shows_social_overview_with_gain_per_deliverable(client, book):
    _, a, _ = book
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{a.id}").get_data(as_text=True)
    assert "Social overview" in text
    assert "M1 Complete" in text
    assert "+300 followers" in text
    assert "M2 In Progress" in text
    assert "(so far)" in text
    assert "<svg" in text
    assert "Strong growth" in text or "Growing" in text
    part = client.get(f"/admin/clients/{a.id}?range=7d", headers={"HX-Request": "true"})
    body = part.get_data(as_text=True)
    assert part.status_code == 200
    assert "<html" not in body
    assert 'id="social-card"' in body
    bad = client.get(f"/admin/clients/{a.id}?range=nope")
    assert bad.status_code == 400
    assert "Unknown range" in bad.get_data(as_text=True)


def test_portfolio_page_partial_filters_and_xss(client, book):
    client.login("coach@example.com")
    resp = client.get("/admin/portfolio")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Leaderboard" in text
    assert "Needs attention" in text
    assert "<script>alert" not in text
    assert "<svg onload" not in text
    assert "lost 14 followers" in text
    part = client.get("/admin/portfolio?platform=instagram&size=nano", headers={"HX-Request": "true"})
    body = part.get_data(as_text=True)
    assert "<html" not in body
    assert 'id="portfolio-body"' in body
    assert "Ann" in body
    assert "&lt;script&gt;" not in body
    assert "HX-Request" in part.headers["Vary"]
    for qs, msg in (
        ("size=huge", "Unknown size band"),
        ("platform=myspace", "Unknown platform"),
        ("coach=1", "Only admins"),
    ):
        bad = client.get(f"/admin/portfolio?{qs}")
        assert bad.status_code == 400
        assert msg in bad.get_data(as_text=True)


def test_cohorts_page(client, book):
    client.login("coach@example.com")
    text = client.get("/admin/cohorts").get_data(as_text=True)
    assert "W0" in text
    assert "Clients" in text


def test_empty_portfolio(client, factory):
    factory.coach(email="lonely@example.com")
    client.login("lonely@example.com")
    assert "No clients yet" in client.get("/admin/portfolio").get_data(as_text=True)
    assert "No cohorts yet" in client.get("/admin/cohorts").get_data(as_text=True)
