"""Password reset by emailed link: no account enumeration, throttled, single use, short-lived, and
every session of the user ends (A5); the link reaches a real SMTP server through the outbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from rq import SimpleWorker
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxEmail, PasswordReset, UserSession
from app.queueing.queues import DEFAULT, get_queue
from app.redis_conn import get_redis
from app.services import accounts
from tests.conftest import PASSWORD
from tests.support.smtp import free_port, smtp_server

NEW = "a-brand-new-password"
SENT = "If an account exists for that address, we sent a link"
LINK = re.compile(r"https://portal\.example\.com(/password/reset/\S+)")


def _outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars())


def _link(email: OutboxEmail) -> str:
    match = LINK.search(email.body_text)
    assert match, email.body_text
    return match.group(1)


def _request(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def _sessions(user_id: int) -> int:
    db.session.expire_all()
    return int(
        db.session.execute(select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)).scalar()
    )


def test_login_page_links_to_the_reset_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert "Forgot your password?" in page
    form = client.get("/password/forgot")
    assert form.status_code == 200
    assert 'name="email"' in form.get_data(as_text=True)


def test_reset_flow_end_to_end_through_smtp(make_app, factory):
    """Request, the email delivered by the worker with the link, a new password, the old one fails,
    the link fails a second time, and every session of the user (including another browser) ended."""
    port = free_port()
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    with app.app_context(), smtp_server(port) as (inbox, _):
        coach = factory.coach(email="maya@example.com", name="Maya Coach")
        elsewhere = app.test_client()
        assert elsewhere.login("maya@example.com").status_code == 303
        browser = app.test_client()
        resp = _request(browser, "Maya@Example.com ")
        assert resp.status_code == 200
        assert SENT in resp.get_data(as_text=True)
        SimpleWorker([get_queue(DEFAULT)], connection=get_redis()).work(burst=True)
        assert len(inbox.messages) == 1
        msg = inbox.messages[0]
        assert msg["To"] == "maya@example.com"
        assert "password" in msg["Subject"].lower()
        text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
        assert "60 minutes" in text
        link = LINK.search(text).group(1)
        row = db.session.execute(select(PasswordReset)).scalar_one()
        assert row.token_hash is not None
        assert row.token_hash not in link  # stored hashed
        assert row.user_id == coach.id

        page = browser.get(link)
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert browser.head(link).status_code == 200  # a scanner's pre-fetch does not consume it
        done = browser.post(link, data={"password": NEW, "confirm": NEW})
        assert done.status_code == 303
        assert done.headers["Location"] == "/login"
        assert _sessions(coach.id) == 0
        assert elsewhere.get("/admin/clients").status_code == 302  # the other browser is logged out

        assert browser.login("maya@example.com", PASSWORD).status_code == 401
        assert browser.login("maya@example.com", NEW).status_code == 303
        again = browser.post(link, data={"password": "yet-another-password", "confirm": "yet-another-password"})
        assert again.status_code == 410
        body = again.get_data(as_text=True)
        assert "already used" in body
        assert 'href="/password/forgot"' in body  # a way to ask again
        assert browser.get(link).status_code == 410


def test_known_and_unknown_addresses_get_the_same_answer(client, factory):
    factory.coach(email="known@example.com")
    known = _request(client, "known@example.com")
    unknown = _request(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert SENT in known.get_data(as_text=True)
    emails = _outbox()
    assert [e.to_address for e in emails] == ["known@example.com"]
    assert emails[0].kind == "password_reset"
    # both requests are recorded for the throttle; only the real account got a link
    rows = db.session.execute(select(PasswordReset).order_by(PasswordReset.id)).scalars().all()
    assert [(r.email, r.token_hash is not None) for r in rows] == [
        ("known@example.com", True),
        ("nobody@example.com", False),
    ]


def test_disabled_users_cannot_reset(client, factory):
    coach = factory.coach(email="off@example.com")
    accounts.set_active(coach, False)
    resp = _request(client, "off@example.com")
    assert resp.status_code == 200
    assert SENT in resp.get_data(as_text=True)  # the same answer as for anyone
    assert _outbox() == []


def test_a_link_stops_working_when_its_user_is_disabled(client, factory):
    coach = factory.coach(email="maya@example.com")
    _request(client, "maya@example.com")
    link = _link(_outbox()[0])
    accounts.set_active(coach, False)
    assert client.get(link).status_code == 400
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 400


def test_expired_link(app, client, factory):
    factory.coach(email="maya@example.com")
    _request(client, "maya@example.com")
    link = _link(_outbox()[0])
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        resp = client.get(link)
        assert resp.status_code == 410
        assert "expired" in resp.get_data(as_text=True)
        assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 410
    assert client.login("maya@example.com", PASSWORD).status_code == 303  # nothing changed


def test_only_the_newest_link_works(client, factory):
    factory.coach(email="maya@example.com")
    _request(client, "maya@example.com")
    _request(client, "maya@example.com")
    first, second = (_link(e) for e in _outbox())
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_unknown_and_tampered_links(client, factory):
    factory.coach(email="maya@example.com")
    _request(client, "maya@example.com")
    link = _link(_outbox()[0])
    for bad in ("/password/reset/garbage", link[:-2] + ("AA" if not link.endswith("AA") else "BB"), link + "x"):
        resp = client.get(bad)
        assert resp.status_code == 400
        body = resp.get_data(as_text=True)
        assert "not valid" in body
        assert "Ask for a new link" in body
    # a correctly signed link naming the request with a guessed nonce is rejected too
    from itsdangerous import URLSafeSerializer

    row_id = db.session.execute(select(PasswordReset.id)).scalar_one()
    forged = URLSafeSerializer(client.application.config["SECRET_KEY"], salt="password-reset-v1").dumps(
        {"i": row_id, "n": "guess"}
    )
    assert client.get(f"/password/reset/{forged}").status_code == 400


def test_bad_input_gets_a_clear_message_and_the_link_stays_usable(client, factory):
    factory.coach(email="maya@example.com")
    for email, message in (("", "Enter the email address"), ("not-an-email", "not valid")):
        resp = _request(client, email)
        assert resp.status_code == 422
        body = resp.get_data(as_text=True)
        assert message in body
        assert "Traceback" not in body
    _request(client, "maya@example.com")
    link = _link(_outbox()[0])
    cases = (
        ({"password": "", "confirm": ""}, "Choose a new password"),
        ({"password": "short", "confirm": "short"}, "at least 10"),
        ({"password": NEW, "confirm": NEW + "x"}, "differ"),
        ({}, "Choose a new password"),
    )
    for data, message in cases:
        resp = client.post(link, data=data)
        assert resp.status_code == 422
        body = resp.get_data(as_text=True)
        assert message in body
        assert "Traceback" not in body
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 303


def test_requests_are_throttled_per_email_whether_or_not_it_exists(app, client, factory):
    factory.coach(email="maya@example.com")
    limit = app.config["PASSWORD_RESET_MAX_REQUESTS"]
    for email in ("maya@example.com", "nobody@example.com"):
        for _ in range(limit):
            assert _request(client, email).status_code == 200
        throttled = _request(client, email)
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0
        assert "Too many requests" in throttled.get_data(as_text=True)
    assert len(_outbox()) == limit
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        assert _request(client, "maya@example.com").status_code == 200


def test_requests_are_throttled_per_ip(app, client):
    cap = app.config["PASSWORD_RESET_MAX_REQUESTS"] * 5
    for n in range(cap):
        assert _request(client, f"someone{n}@example.com").status_code == 200
    assert _request(client, "another@example.com").status_code == 429
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert _request(other_ip, "another@example.com").status_code == 200


def test_each_post_requires_csrf(client, factory):
    factory.coach(email="maya@example.com")
    client.auto_csrf = False
    assert _request(client, "maya@example.com").status_code == 400
    assert _outbox() == []
    client.auto_csrf = True
    _request(client, "maya@example.com")
    link = _link(_outbox()[0])
    client.auto_csrf = False
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 400
    client.auto_csrf = True
    assert client.get(link).status_code == 200  # still unused
