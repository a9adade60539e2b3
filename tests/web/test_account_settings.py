"""Changing one's password (other sessions end, this one stays) and admins disabling or re-enabling a
login from the CRM (its sessions end at once; coaches may not; nobody disables themselves)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD

NEW = "a-brand-new-password"


def _change(client, current: str = PASSWORD, password: str = NEW, confirm: str | None = None):
    return client.post(
        "/settings/password",
        data={"current": current, "password": password, "confirm": password if confirm is None else confirm},
    )


def _active(user_id: int) -> bool:
    db.session.expire_all()
    return bool(db.session.execute(select(User.is_active).where(User.id == user_id)).scalar_one())


# --- change password -------------------------------------------------------------------------


def test_change_password_ends_other_sessions_and_keeps_this_one(app, client, factory):
    factory.client(email="kim@example.com")
    elsewhere = app.test_client()
    assert elsewhere.login("kim@example.com").status_code == 303
    assert client.login("kim@example.com").status_code == 303
    page = client.get("/settings/password")
    assert page.status_code == 200
    assert 'name="current"' in page.get_data(as_text=True)
    resp = _change(client)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/settings/password"
    assert "Your password is changed. 1 other session(s) ended." in client.get("/settings/password").get_data(
        as_text=True
    )
    assert client.get("/portal").status_code == 200  # this session stays
    assert elsewhere.get("/portal").status_code == 302  # the other one is logged out
    client.logout()
    assert client.login("kim@example.com", PASSWORD).status_code == 401
    assert client.login("kim@example.com", NEW).status_code == 303


def test_staff_change_their_password_too(client, factory):
    factory.coach(email="maya@example.com")
    client.login("maya@example.com")
    assert 'href="/settings/password"' in client.get("/admin/clients").get_data(as_text=True)
    assert _change(client).status_code == 303
    client.logout()
    assert client.login("maya@example.com", NEW).status_code == 303


def test_wrong_current_password_is_rejected_and_counts_as_a_failed_login(app, client, factory):
    factory.client(email="kim@example.com")
    client.login("kim@example.com")
    resp = _change(client, current="not-my-password")
    assert resp.status_code == 422
    assert "not your current password" in resp.get_data(as_text=True)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert _change(client, current="not-my-password").status_code == 422
    throttled = _change(client)  # even the right password waits now
    assert throttled.status_code == 429
    assert "Too many wrong passwords" in throttled.get_data(as_text=True)
    client.logout()
    assert client.login("kim@example.com", NEW).status_code == 429  # unchanged, and the login throttle agrees


def test_change_password_bad_input_gets_clear_messages(client, factory):
    factory.client(email="kim@example.com")
    client.login("kim@example.com")
    cases = (
        ({"current": "", "password": NEW, "confirm": NEW}, "Enter your current password"),
        ({"current": PASSWORD, "password": "", "confirm": ""}, "at least 10"),
        ({"current": PASSWORD, "password": NEW, "confirm": NEW + "x"}, "differ"),
        ({}, "Enter your current password"),
    )
    for data, message in cases:
        resp = client.post("/settings/password", data=data)
        assert resp.status_code == 422
        body = resp.get_data(as_text=True)
        assert message in body
        assert "Traceback" not in body
    client.logout()
    assert client.login("kim@example.com", PASSWORD).status_code == 303  # nothing changed


def test_change_password_requires_login_and_csrf(client, factory):
    assert client.get("/settings/password").status_code == 302
    factory.client(email="kim@example.com")
    client.login("kim@example.com")
    client.auto_csrf = False
    assert _change(client).status_code == 400
    client.auto_csrf = True
    client.logout()
    assert client.login("kim@example.com", PASSWORD).status_code == 303


# --- disable / re-enable ---------------------------------------------------------------------


def test_admin_disables_and_re_enables_a_client(app, client, factory):
    factory.admin(email="admin@example.com", name="Ada Admin")
    c = factory.client(email="kim@example.com", name="Kim Lee")
    user_id = c.user_id
    kim = app.test_client()
    kim.login("kim@example.com")
    assert kim.get("/portal").status_code == 200
    client.login("admin@example.com")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Kim Lee" in page
    assert f"/admin/users/{user_id}/disable" in page
    resp = client.post(f"/admin/users/{user_id}/disable")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/admin/users"
    assert "can no longer log in" in client.get("/admin/users").get_data(as_text=True)
    assert not _active(user_id)
    assert kim.get("/portal").status_code == 302  # the next request is logged out
    refused = kim.login("kim@example.com")
    assert refused.status_code == 403
    assert "This login is disabled" in refused.get_data(as_text=True)
    wrong = kim.login("kim@example.com", "not-the-password")
    assert wrong.status_code == 401  # without the password nothing more than usual is revealed
    assert "This login is disabled" not in wrong.get_data(as_text=True)

    assert client.post(f"/admin/users/{user_id}/enable").status_code == 303
    assert _active(user_id)
    assert kim.login("kim@example.com").status_code == 303
    assert kim.get("/portal").status_code == 200


def test_admin_disables_a_coach(app, client, factory):
    factory.admin(email="admin@example.com")
    coach = factory.coach(email="maya@example.com")
    maya = app.test_client()
    maya.login("maya@example.com")
    client.login("admin@example.com")
    assert client.post(f"/admin/users/{coach.id}/disable").status_code == 303
    assert maya.get("/admin/clients").status_code == 302
    assert maya.login("maya@example.com").status_code == 403


def test_admin_cannot_disable_themselves(client, factory):
    admin = factory.admin(email="admin@example.com")
    client.login("admin@example.com")
    resp = client.post(f"/admin/users/{admin.id}/disable")
    assert resp.status_code == 403
    assert "your own login" in resp.get_data(as_text=True)
    assert _active(admin.id)
    assert client.get("/admin/clients").status_code == 200


def test_coaches_and_clients_may_not_disable_anyone(client, factory):
    factory.coach(email="maya@example.com")
    victim = factory.client(email="kim@example.com")
    client.login("maya@example.com")
    assert client.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in client.get("/admin/clients").get_data(as_text=True)
    for action in ("disable", "enable"):
        assert client.post(f"/admin/users/{victim.user_id}/{action}").status_code == 403
    assert _active(victim.user_id)
    client.logout()
    client.login("kim@example.com")
    assert client.post(f"/admin/users/{victim.user_id}/disable").status_code == 403


def test_unknown_user_is_404_and_csrf_is_required(client, factory):
    factory.admin(email="admin@example.com")
    victim = factory.coach(email="maya@example.com")
    client.login("admin@example.com")
    assert client.post("/admin/users/999999/disable").status_code == 404
    client.auto_csrf = False
    assert client.post(f"/admin/users/{victim.id}/disable").status_code == 400
    assert _active(victim.id)


def test_users_page_search(client, factory):
    factory.admin(email="admin@example.com")
    factory.coach(email="maya@example.com", name="Maya Coach")
    factory.client(email="kim@example.com", name="Kim Lee")
    client.login("admin@example.com")
    page = client.get("/admin/users?q=kim").get_data(as_text=True)
    assert "Kim Lee" in page
    assert "Maya Coach" not in page
    fragment = client.get("/admin/users?q=maya", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Maya Coach" in fragment
    assert "<html" not in fragment


def test_admin_disables_from_the_client_page_and_comes_back_to_it(client, factory):
    factory.admin(email="admin@example.com")
    c = factory.client(email="kim@example.com", name="Kim Lee")
    client.login("admin@example.com")
    page = f"/admin/clients/{c.id}"
    assert "Disable the login" in client.get(page).get_data(as_text=True)
    resp = client.post(f"/admin/users/{c.user_id}/disable", data={"next": page})
    assert resp.status_code == 303
    assert resp.headers["Location"] == page
    body = client.get(page).get_data(as_text=True)
    assert "Login disabled" in body
    assert "Enable the login" in body
    offsite = client.post(f"/admin/users/{c.user_id}/enable", data={"next": "https://evil.example/"})
    assert offsite.headers["Location"] == "/admin/users"  # only same-site destinations
    assert _active(c.user_id)
