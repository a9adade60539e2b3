"""Alert email preferences and the unsubscribe link (scanner-safe, one purpose, no login)."""

from __future__ import annotations

from app.extensions import db
from app.models import EmailMode, NotificationPreference
from app.services import notifications


def test_defaults_are_immediate_for_everything(app, factory):
    user = factory.coach()
    assert notifications.email_mode_for(user, "MILESTONE") is EmailMode.IMMEDIATE


def test_settings_page_saves_mode_and_muted_types(client, factory):
    user = factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    page = client.get("/settings/notifications")
    assert page.status_code == 200
    assert "Low engagement" in page.get_data(as_text=True)
    emailed = [t for t in notifications.ALERT_TYPES if t != "LOW_ENGAGEMENT"]
    resp = client.hx("POST", "/settings/notifications", data={"email_mode": "digest", "emailed": emailed})
    assert resp.status_code == 200
    assert "saved" in resp.headers["HX-Trigger"]
    db.session.expire_all()
    assert notifications.email_mode_for(user, "LOW_ENGAGEMENT") is EmailMode.OFF
    assert notifications.email_mode_for(user, "MILESTONE") is EmailMode.DIGEST
    bad = client.hx("POST", "/settings/notifications", data={"email_mode": "hourly"})
    assert bad.status_code == 422
    assert "Pick how" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert notifications.email_mode_for(user, "MILESTONE") is EmailMode.DIGEST  # unchanged


def test_unsubscribe_get_does_nothing_post_unsubscribes(app, client, factory):
    user = factory.client(email="c@example.com").user
    url = notifications.unsubscribe_url(user)
    assert url.startswith("https://portal.example.com/unsubscribe/")
    path = url.removeprefix("https://portal.example.com")
    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    assert db.session.get(NotificationPreference, user.id) is None  # a scanner's GET changed nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "unsubscribed" in done.get_data(as_text=True)
    assert done.headers["Referrer-Policy"] == "no-referrer"
    db.session.expire_all()
    assert notifications.email_mode_for(user, "MILESTONE") is EmailMode.OFF
    # it did not log anyone in
    assert client.get("/portal").status_code == 302


def test_forged_unsubscribe_link(client):
    resp = client.get("/unsubscribe/not-a-token")
    assert resp.status_code == 404
    assert "not valid" in resp.get_data(as_text=True)
