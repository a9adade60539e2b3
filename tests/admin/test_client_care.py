"""The coach's client page, complete: the client's alerts (the feed filters by client), the engagement
trend chart, "Refresh now" for the coach (the client's hourly limit, shared), the raw data (paged)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Alert
from app.stats import raw_data
from app.stats.query import today
from tests.support import history as h

XSS = '<script>alert(1)</script>"><svg onload=alert(2)>'


def _alert(client_id: int, title: str, key: str) -> Alert:
    a = Alert(
        client_id=client_id,
        platform="instagram",
        type="MILESTONE",
        severity="info",
        title=title,
        message=title,
        details={"threshold": 1000},
        day=date(2026, 10, 1),
        dedup_key=key,
    )
    db.session.add(a)
    db.session.commit()
    return a


@pytest.fixture
def book(factory):
    coach = factory.coach(email="coach@example.com")
    other_coach = factory.coach(email="other@example.com")
    a = factory.client(coach=coach, name="Ann", program_start=today() - timedelta(days=80))
    ig = h.connection(a, "instagram", username="ann.ig")
    h.daily(ig, today() - timedelta(days=59), [1000 + i for i in range(60)])
    h.snapshots(ig, {today() - timedelta(days=60): 999}, provenance="backfilled")
    b = factory.client(coach=other_coach, name=XSS)
    yt = h.connection(b, "youtube")
    _alert(a.id, "Ann reached 1K", "k1")
    _alert(b.id, "Bea secret alert", "k2")
    return coach, a, b, ig, yt


def test_alert_feed_filters_by_client_and_404s_for_an_invisible_one(client, book):
    _, a, b, _, _ = book
    client.login("coach@example.com")
    page = client.get(f"/admin/alerts?client={a.id}").get_data(as_text=True)
    assert "Ann reached 1K" in page
    assert "One client's alerts" in page
    api = client.get(f"/api/admin/social/alerts?client={a.id}").get_json()
    assert [x["title"] for x in api["alerts"]] == ["Ann reached 1K"]
    assert api["filters"] == {"client": str(a.id)}
    assert client.get(f"/admin/alerts?client={b.id}").status_code == 404  # another coach's client
    assert client.get(f"/api/admin/social/alerts?client={b.id}").status_code == 404
    assert client.get("/admin/alerts?client=abc").status_code == 400


def test_client_page_has_alerts_accounts_and_engagement_chart(client, book):
    _, a, _, ig, _ = book
    h.post(ig, today() - timedelta(days=3), likes=50, comments=10)
    client.login("coach@example.com")
    text = client.get(f"/admin/clients/{a.id}").get_data(as_text=True)
    assert 'id="client-alerts-card"' in text
    assert "Ann reached 1K" in text
    assert "Bea secret alert" not in text
    assert f"/admin/alerts?client={a.id}" in text
    assert 'id="accounts-card"' in text
    assert "@ann.ig" in text
    assert f"/admin/clients/{a.id}/connections/{ig.id}/refresh" in text
    assert "Mean post engagement rate" in text  # the engagement trend chart
    assert f"/admin/clients/{a.id}/data" in text


def test_coach_refresh_shares_the_clients_hourly_limit(client, book):
    _, a, b, ig, yt = book
    client.login("coach@example.com")
    url = f"/admin/clients/{a.id}/connections/{ig.id}/refresh"
    first = client.post(url, headers={"HX-Request": "true"})
    assert first.status_code == 202
    assert 'id="accounts-card"' in first.get_data(as_text=True)
    assert "queued" in first.headers["HX-Trigger"]
    again = client.post(url, headers={"HX-Request": "true"})
    assert again.status_code == 429
    assert 3500 <= int(again.headers["Retry-After"]) <= 3601
    # the client's own button now waits too: one stamp per connection
    db.session.refresh(ig)
    assert ig.sync_requested_at is not None
    # without JavaScript: post/redirect/get
    plain = client.post(f"/admin/clients/{a.id}/connections/{ig.id}/refresh")
    assert plain.status_code == 429
    # another client's connection through this client's URL, and another coach's client: 404
    assert client.post(f"/admin/clients/{a.id}/connections/{yt.id}/refresh").status_code == 404
    assert client.post(f"/admin/clients/{b.id}/connections/{yt.id}/refresh").status_code == 404


def test_client_refresh_after_the_coachs_is_429(app, client, factory, book):
    _, a, _, ig, _ = book
    client.login("coach@example.com")
    assert client.post(f"/admin/clients/{a.id}/connections/{ig.id}/refresh").status_code == 303
    own = app.test_client()
    own.login(a.user.email)
    resp = own.post(f"/api/portal/social/connections/{ig.id}/refresh")
    assert resp.status_code == 429


def test_raw_data_pages_with_provenance(client, book):
    _, a, b, ig, _ = book
    client.login("coach@example.com")
    first = client.get(f"/admin/clients/{a.id}/data").get_data(as_text=True)
    assert "61 stored days · page 1 of 2" in first  # 60 measured days + 1 backfilled
    assert today().isoformat() in first
    assert "backfilled" not in first.split("<tbody>")[1].split("</tbody>")[0]
    second = client.get(f"/admin/clients/{a.id}/data?page=2", headers={"HX-Request": "true"})
    body = second.get_data(as_text=True)
    assert "<html" not in body
    assert "page 2 of 2" in body
    assert (today() - timedelta(days=60)).isoformat() in body
    assert "backfilled" in body
    assert "page 2 of 2" in client.get(f"/admin/clients/{a.id}/data?page=99").get_data(as_text=True)
    assert "page 1 of 2" in client.get(f"/admin/clients/{a.id}/data?page=-1").get_data(as_text=True)
    assert "No stored days" in client.get(f"/admin/clients/{a.id}/data?platform=tiktok").get_data(as_text=True)
    assert client.get(f"/admin/clients/{b.id}/data").status_code == 404


def test_snapshot_page_by_hand(app, book):
    _, a, _, ig, _ = book
    page = raw_data.snapshot_page(a.id, 2, per_page=50)
    assert (page.total, page.pages, page.page, len(page.rows)) == (61, 2, 2, 11)
    assert page.rows[-1].day == today() - timedelta(days=60)
    assert page.rows[-1].followers == 999
    assert page.rows[-1].provenance == "backfilled"
    assert page.rows[0].day == today() - timedelta(days=50)
    assert page.rows[0].followers == 1009  # the daily run starts at today-59 with 1000: day i is 1000 + i
