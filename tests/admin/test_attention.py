"""Needs attention with reasons, connections about to expire, and the coach's snooze / resolve with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AttentionNote
from app.stats import attention
from app.stats.query import today
from tests.support import history as h

EXPIRING = "Instagram access about to expire (the client must reconnect)"
LOST = "lost 14 followers in the last 14 days"


def test_reason_keys():
    assert attention.reason_key("lost 14 followers in the last 14 days") == "decline"
    assert attention.reason_key("engagement 0.80% over 30 days (below 1.5%)") == "low_engagement"
    assert attention.reason_key("growth stalled: last 7 days ...") == "stalled"
    assert (
        attention.reason_key("Instagram access about to expire (the client must reconnect)") == "connection:instagram"
    )
    assert attention.reason_key("YouTube connection revoked") == "connection:youtube"
    assert attention.reason_key("something new") == "other"
    assert attention.valid_key("connection:tiktok")
    assert not attention.valid_key("connection:myspace")
    assert not attention.valid_key("decline:x")
    assert not attention.valid_key("other")


@pytest.fixture
def book(factory):
    coach = factory.coach(email="coach@example.com")
    factory.coach(email="other@example.com")
    a = factory.client(coach=coach, name="Ann")
    ig = h.connection(a, "instagram", status="expiring")
    h.daily(ig, today() - timedelta(days=20), [1000 - i for i in range(21)])  # -14 over the last 14 days
    ok = factory.client(coach=coach, name="Bob")
    h.daily(h.connection(ok, "tiktok"), today() - timedelta(days=20), [500 + i for i in range(21)])
    return a, ok


def test_expiring_connection_is_a_reason(client, book):
    a, _ = book
    client.login("coach@example.com")
    text = client.get("/admin/portfolio").get_data(as_text=True)
    assert "Instagram access about to expire (the client must reconnect)" in text
    assert "lost 14 followers in the last 14 days" in text
    page = client.get(f"/admin/clients/{a.id}").get_data(as_text=True)
    assert 'id="attention-card"' in page
    assert 'data-reason="connection:instagram"' in page
    assert 'data-reason="decline"' in page


def test_snooze_and_resolve_with_a_note(app, client, book):
    a, ok = book
    client.login("coach@example.com")
    before = client.get("/api/admin/social/portfolio").get_json()
    assert [(c["name"], sorted(c["reasons"]), c["quiet_reasons"]) for c in before["needs_attention"]] == [
        ("Ann", sorted([EXPIRING, LOST]), [])
    ]
    assert before["attention_quiet"] == []
    url = f"/admin/clients/{a.id}/attention"
    resp = client.hx(
        "POST",
        url,
        data={
            "reason": "decline",
            "reason_text": "lost 14 followers",
            "action": "snoozed",
            "days": "7",
            "note": "<b>Talked</b> on the call",
        },
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert f"snoozed until {(today() + timedelta(days=7)).isoformat()}" in body
    assert "&lt;b&gt;Talked&lt;/b&gt; on the call" in body  # escaped
    # snoozed on the page, snoozed in the JSON: the open reason stays, the snoozed one is marked
    week = (today() + timedelta(days=7)).isoformat()
    mixed = client.get("/api/admin/social/portfolio").get_json()["needs_attention"]
    assert mixed == [
        {
            "client_id": a.id,
            "name": "Ann",
            "reasons": [EXPIRING],
            "quiet_reasons": [{"reason": LOST, "action": "snoozed", "until": week}],
        }
    ]
    resolved = client.hx("POST", url, data={"reason": "connection:instagram", "action": "resolved", "note": ""})
    assert resolved.status_code == 200
    note = db.session.execute(select(AttentionNote).where(AttentionNote.action == "resolved")).scalar_one()
    assert note.until == today() + timedelta(days=14)
    assert note.note is None
    # the portfolio: Ann has every reason quiet now
    text = client.get("/admin/portfolio").get_data(as_text=True)
    section = text.split('id="att-h"')[1]
    assert "lost 14 followers" not in section
    assert "1 client with every reason snoozed or resolved" in section
    # the JSON API agrees with the page: no open reason left, Ann is among the quiet ones with each note
    api = client.get("/api/admin/social/portfolio").get_json()
    assert api["needs_attention"] == []
    assert [(c["client_id"], c["name"]) for c in api["attention_quiet"]] == [(a.id, "Ann")]
    assert sorted(api["attention_quiet"][0]["quiet_reasons"], key=lambda r: r["action"]) == [
        {"reason": EXPIRING, "action": "resolved", "until": (today() + timedelta(days=14)).isoformat()},
        {"reason": LOST, "action": "snoozed", "until": week},
    ]
    # the snooze runs out: back on the list (a note in force only while today < until)
    notes = attention.notes_in_force([a.id], today() + timedelta(days=7))
    assert set(notes) == {(a.id, "connection:instagram")}
    assert attention.notes_in_force([a.id], today() + timedelta(days=14)) == {}


def test_bad_input_and_other_coaches(app, client, book):
    a, _ = book
    client.login("coach@example.com")
    url = f"/admin/clients/{a.id}/attention"
    for data, msg in (
        ({"reason": "nope", "action": "resolved"}, "Unknown reason."),
        ({"reason": "decline", "action": "snoozed", "days": "3"}, "Snooze for 1, 7 or 30 days."),
        ({"reason": "decline", "action": "delete"}, "Choose snooze or resolve."),
        ({"reason": "decline", "action": "resolved", "note": "x" * 1001}, "under 1000 characters"),
    ):
        resp = client.hx("POST", url, data=data)
        assert resp.status_code == 422
        assert msg in resp.get_data(as_text=True)
    assert db.session.execute(select(AttentionNote)).first() is None
    other = app.test_client()
    other.login("other@example.com")
    assert other.post(url, data={"reason": "decline", "action": "resolved"}).status_code == 404


def test_for_client_without_data(app, factory):
    from app.services.clients import visible_clients
    from app.stats.query import parse

    coach = factory.coach(email="c2@example.com")
    empty = factory.client(coach=coach, name="Empty")
    got = attention.for_client(visible_clients(coach), empty.id, parse({}, scope="portfolio"))
    assert got.reasons == ()
