"""Invite links: signed, expiring, single use; GET never consumes them (mail scanners)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Invite, User
from app.services import accounts


def _invite(factory, **kw):
    coach = factory.coach()
    c = factory.client(coach=coach, password=None, **kw)
    token = accounts.create_invite(c.user, coach)
    db.session.commit()
    return c, token


def test_invite_sets_password_logs_in_once(client, factory):
    c, token = _invite(factory, email="new@example.com")
    assert client.get(f"/invite/{token}").status_code == 200
    assert client.head(f"/invite/{token}").status_code == 200  # a scanner's pre-fetch
    resp = client.post(f"/invite/{token}", data={"password": "a-good-long-pass", "confirm": "a-good-long-pass"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/portal"
    assert client.get("/portal").status_code == 200
    client.logout()
    assert client.login("new@example.com", "a-good-long-pass").status_code == 303
    reused = client.post(f"/invite/{token}", data={"password": "another-long-pass", "confirm": "another-long-pass"})
    assert reused.status_code == 410
    assert "already used" in reused.get_data(as_text=True)


def test_expired_invite(client, factory):
    _, token = _invite(factory)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=73)):
        resp = client.get(f"/invite/{token}")
    assert resp.status_code == 410
    assert "expired" in resp.get_data(as_text=True)


def test_tampered_and_forged_invites(client, factory):
    c, token = _invite(factory)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", token + "x"):
        resp = client.get(f"/invite/{bad}")
        assert resp.status_code == 404
        assert "not valid" in resp.get_data(as_text=True)
    # A correctly signed link naming another invite id with a guessed nonce is rejected too.
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer(client.application.config["SECRET_KEY"], salt="invite-v1").dumps(
        {"i": db.session.execute(select(Invite.id)).scalar_one(), "n": "guess"}
    )
    assert client.get(f"/invite/{forged}").status_code == 404


def test_short_password_keeps_the_link_usable(client, factory):
    c, token = _invite(factory)
    resp = client.post(f"/invite/{token}", data={"password": "short", "confirm": "short"})
    assert resp.status_code == 422
    assert "at least 10" in resp.get_data(as_text=True)
    mismatch = client.post(f"/invite/{token}", data={"password": "long-enough-1", "confirm": "long-enough-2"})
    assert mismatch.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, c.user_id).password_hash is None
    assert client.get(f"/invite/{token}").status_code == 200


def test_new_invite_retires_the_old_one(client, factory):
    c, old = _invite(factory)
    new = accounts.create_invite(c.user, None)
    db.session.commit()
    assert client.get(f"/invite/{old}").status_code == 410
    assert client.get(f"/invite/{new}").status_code == 200


def test_resend_invite_from_crm(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, password=None)
    client.login("coach@example.com")
    resp = client.hx("POST", f"/admin/clients/{c.id}/invite")
    assert resp.status_code == 200
    assert "/invite/" in resp.get_data(as_text=True)
    with_password = factory.client(coach=coach)
    refused = client.hx("POST", f"/admin/clients/{with_password.id}/invite")
    assert refused.status_code == 422


def test_invite_pages_send_no_referrer(client, factory):
    _, token = _invite(factory)
    assert client.get(f"/invite/{token}").headers["Referrer-Policy"] == "no-referrer"
