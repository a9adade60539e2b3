"""Login, logout, throttling, sessions and cookies (A5, W2, O5)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import time_machine
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import LoginAttempt, UserSession
from app.services import accounts
from tests.conftest import PASSWORD


def test_login_page_has_form_fields_and_csrf(client):
    page = client.get("/login").get_data(as_text=True)
    for name in ('name="email"', 'name="password"', 'name="csrf_token"', 'name="csrf-token"'):
        assert name in page


def test_coach_logs_in_and_lands_on_crm(client, factory):
    factory.coach(email="coach@example.com")
    resp = client.login("coach@example.com")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/admin/clients"
    assert client.get("/admin/clients").status_code == 200


def test_client_lands_on_portal(client, factory):
    factory.client(email="c@example.com")
    resp = client.login("c@example.com")
    assert resp.headers["Location"] == "/portal"
    assert "Hi User" in client.get("/portal").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_clear_answer(client, factory):
    factory.coach(email="coach@example.com")
    wrong = client.login("coach@example.com", "not-the-password")
    unknown = client.login("nobody@example.com", "whatever-password")
    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert "do not match an account" in resp.get_data(as_text=True)
    assert client.get("/admin/clients").status_code == 302


def test_unknown_email_is_checked_against_a_hash_of_the_same_cost():
    """The fixed dummy hash (not hashed at import: start-up CPU) has the method and cost of a real one,
    so a login with an unknown email takes as long as one with a wrong password."""
    real = accounts.hash_password("a-password-of-someone")
    assert accounts._DUMMY_HASH.split("$")[0] == real.split("$")[0]
    assert len(accounts._DUMMY_HASH) == len(real)
    assert not check_password_hash(accounts._DUMMY_HASH, "whatever-password")


def test_login_is_throttled_per_email(app, client, factory):
    factory.coach(email="coach@example.com")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert client.login("coach@example.com", "wrong-password-x").status_code == 401
    blocked = client.login("coach@example.com")  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert client.get("/admin/clients").status_code == 302


def test_throttle_ends_after_the_window(app, client, factory):
    factory.coach(email="coach@example.com")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.login("coach@example.com", "wrong-password-x")
    with _later(app.config["LOGIN_WINDOW_MINUTES"] + 1):
        assert client.login("coach@example.com").status_code == 303


def _later(minutes: int):
    from datetime import UTC, datetime, timedelta

    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes), tick=True)


def test_attempts_are_recorded(client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com", "bad-password-1")
    client.login("coach@example.com")
    rows = db.session.execute(select(LoginAttempt.succeeded).order_by(LoginAttempt.id)).scalars().all()
    assert rows == [False, True]


def test_logout_invalidates_the_session_server_side(app, client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    stolen = cookie.value
    assert client.logout().status_code == 303
    assert db.session.execute(select(func.count()).select_from(UserSession)).scalar() == 0
    # Replay the old cookie in a fresh client: the server no longer knows the session.
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen, domain="localhost")
    resp = other.get("/admin/clients")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_session_cookie_changes_at_login(app, client, factory):
    factory.coach(email="coach@example.com")
    client.get("/login")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    client.login("coach@example.com")
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert after is not None
    assert before is None or before.value != after.value


def test_disabling_a_user_kills_live_sessions(client, factory):
    coach = factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert client.get("/admin/clients").status_code == 200
    accounts.set_active(coach, False)
    assert client.get("/admin/clients").status_code == 302


def test_idle_session_expires(app, client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    with _later(app.config["SESSION_IDLE_MINUTES"] + 1):
        assert client.get("/admin/clients").status_code == 302


def test_absolute_session_lifetime(app, client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    # keep the session busy (never idle) but past its absolute lifetime
    with _later(app.config["SESSION_MAX_HOURS"] * 60 + 1):
        assert client.get("/admin/clients").status_code == 302


def test_session_cookie_flags(client, factory):
    factory.coach(email="coach@example.com")
    resp = client.login("coach@example.com")
    raw = [v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("__Host-session=")]
    assert raw, resp.headers
    cookie = SimpleCookie()
    cookie.load(raw[-1])
    morsel = cookie["__Host-session"]
    assert morsel["secure"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["domain"]


def test_next_only_accepts_relative_paths(client, factory):
    factory.coach(email="coach@example.com")
    for evil in ("https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"):
        client.logout()
        resp = client.post("/login", data={"email": "coach@example.com", "password": PASSWORD, "next": evil})
        assert resp.headers["Location"] == "/admin/clients", evil
    client.logout()
    resp = client.post(
        "/login", data={"email": "coach@example.com", "password": PASSWORD, "next": "/admin/clients?q=a"}
    )
    assert resp.headers["Location"] == "/admin/clients?q=a"


def test_login_page_redirects_when_already_logged_in(client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert client.get("/login").status_code == 302
