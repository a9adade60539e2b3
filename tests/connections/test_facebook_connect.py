"""Connecting a Facebook Page through the product against the sandbox: Facebook Login, then the Page.

A person with one Page connects it at once; with several Pages they choose on the picker (single use,
bound to session and user, Page tokens never sent to the browser); with none they get a clear page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Connection, OAuthState
from app.models.base import utcnow
from app.security.crypto import aad_for
from app.services.tokens import keyring
from tests.support.connect import connect, query, start


def connections() -> list[Connection]:
    db.session.expire_all()
    return list(db.session.execute(select(Connection)).scalars())


@pytest.fixture
def two_pages(sandbox: Any) -> list[dict[str, Any]]:
    return [
        sandbox.create_account("facebook", "cara.cooks", 4_210, owner="Cara", seed=41),
        sandbox.create_account("facebook", "cara.travels", 1_180, owner="Cara", seed=42),
    ]


def test_authorize_url_is_facebook_login_without_pkce(client, creator):
    client.login("creator@example.com")
    url = start(client, "facebook")
    assert "/www.facebook.com/v25.0/dialog/oauth?" in url
    q = query(url)
    assert q["scope"] == "pages_show_list,pages_read_engagement,read_insights"
    assert "code_challenge" not in q


def test_one_page_is_connected_at_once_with_its_page_token(client, creator, sandbox):
    page = sandbox.create_account("facebook", "cara.only", 2_500, owner="Cara", seed=43)
    client.login("creator@example.com")
    resp = connect(client, sandbox, "facebook", page["id"])
    assert resp.status_code == 303
    assert re.fullmatch(r"/portal/settings/connections/\d+/connected", resp.headers["Location"])
    [conn] = connections()
    assert (conn.platform, conn.platform_user_id, conn.username) == ("facebook", page["platform_user_id"], "cara.only")
    assert conn.status == "connected"
    assert conn.access_expires_at is None  # a Page token does not expire
    access = keyring().decrypt(conn.access_token_enc, aad_for("connections", conn.id, "access_token_enc"))
    page_tokens = {t["value"] for t in sandbox.tokens(page["id"]) if t["kind"] == "fb_page"}
    assert access in page_tokens  # the Page token, never the user token
    assert conn.refresh_token_enc is None
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2,500" in html


def test_several_pages_go_through_the_picker(app, client, creator, sandbox, two_pages):
    client.login("creator@example.com")
    resp = connect(client, sandbox, "facebook", two_pages[0]["id"])
    assert resp.status_code == 303
    picker_url = resp.headers["Location"]
    assert picker_url.startswith("/portal/settings/connections/facebook/pages?pick=")
    assert connections() == []
    page = client.get(picker_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Cara Cooks" in html
    assert "Cara Travels" in html
    assert "EAAB" not in html  # no token reaches the browser
    pick = query(picker_url)["pick"]
    # another session of the same user cannot use the pick
    other = app.test_client()
    other.login("creator@example.com")
    stolen = other.post("/portal/settings/connections/facebook/pages", data={"pick": pick, "page_id": "x"})
    assert stolen.status_code == 400
    chosen = client.post(
        "/portal/settings/connections/facebook/pages",
        data={"pick": pick, "page_id": two_pages[1]["platform_user_id"]},
    )
    assert chosen.status_code == 303
    assert re.fullmatch(r"/portal/settings/connections/\d+/connected", chosen.headers["Location"])
    [conn] = connections()
    assert conn.platform_user_id == two_pages[1]["platform_user_id"]
    assert conn.display_name == "Cara Travels"
    # single use: the held user token is gone
    assert not list(db.session.execute(select(OAuthState)).scalars())
    again = client.post(
        "/portal/settings/connections/facebook/pages",
        data={"pick": pick, "page_id": two_pages[0]["platform_user_id"]},
    )
    assert again.status_code == 400
    assert "already made" in again.get_data(as_text=True)


def test_a_page_that_is_not_in_the_list_is_refused(client, creator, sandbox, two_pages):
    client.login("creator@example.com")
    picker_url = connect(client, sandbox, "facebook", two_pages[0]["id"]).headers["Location"]
    resp = client.post(
        "/portal/settings/connections/facebook/pages",
        data={"pick": query(picker_url)["pick"], "page_id": "61999999999999"},
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/problem/facebook/no_page")
    assert connections() == []


def test_no_page_lands_on_a_clear_page(client, creator, sandbox):
    person = sandbox.create_account("facebook", "just.me", 0, account_type="PERSON", owner="Solo")
    client.login("creator@example.com")
    resp = connect(client, sandbox, "facebook", person["id"])
    assert resp.headers["Location"].endswith("/problem/facebook/no_page")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "No Facebook Page to connect" in html
    assert connections() == []


def test_denied_and_unticked_permissions(client, creator, sandbox):
    page = sandbox.create_account("facebook", "cara.only", 2_500, owner="Cara", seed=43)
    client.login("creator@example.com")
    denied = connect(client, sandbox, "facebook", page["id"], decision="deny")
    assert denied.headers["Location"].endswith("/problem/facebook/denied")
    partial = connect(client, sandbox, "facebook", page["id"], scopes=["pages_show_list", "pages_read_engagement"])
    assert partial.status_code == 303
    [conn] = connections()
    assert conn.status == "insufficient_scope"
    assert "read_insights" in (conn.last_error or "")


def test_hostile_page_names_are_escaped_on_the_picker(client, creator, sandbox):
    for seed, name in ((44, '<img src=x onerror="alert(1)">'), (45, "Plain & Simple")):
        sandbox.create_account("facebook", f"p{seed}", 10, owner="Mallory", seed=seed, display_name=name)
    first = sandbox.accounts("facebook")[0]
    client.login("creator@example.com")
    picker = connect(client, sandbox, "facebook", first["id"]).headers["Location"]
    html = client.get(picker).get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x" in html


def test_permissions_page_explains_facebook(client, creator):
    client.login("creator@example.com")
    html = client.get("/portal/settings/connections/facebook/permissions").get_data(as_text=True)
    assert "read_insights" in html
    assert "Pages, not of personal profiles" in html


def test_an_expired_or_foreign_pick_is_refused(client, creator, sandbox, two_pages):
    client.login("creator@example.com")
    resp = client.get("/portal/settings/connections/facebook/pages?pick=nonsense")
    assert resp.status_code == 400
    picker_url = connect(client, sandbox, "facebook", two_pages[0]["id"]).headers["Location"]
    db.session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expired = client.get(picker_url)
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)


# ----------------------------------------------------------------- Meta's callbacks for Facebook Login


def _signed(user_id: str, secret: str = "sandbox-fb-secret", **extra: object) -> str:
    from tests.connections.test_platform_callbacks import signed_request

    return signed_request(user_id, secret=secret, **extra)


def test_deauthorize_names_the_person_and_revokes_their_page(app, client, creator, sandbox):
    page = sandbox.create_account("facebook", "cara.only", 2_500, owner="Cara", seed=43)
    client.login("creator@example.com")
    connect(client, sandbox, "facebook", page["id"])
    [conn] = connections()
    person = sandbox.account(page["id"])["owner_user_id"]
    assert conn.grantor_id == person  # the app-scoped user id Meta's callbacks name
    anon = app.test_client()
    anon.auto_csrf = False
    # the Instagram app's secret does not sign Facebook Login's callbacks, nor does the Page id stand in
    bad = anon.post(
        "/api/platforms/facebook/deauthorize", data={"signed_request": _signed(person, "sandbox-ig-secret")}
    )
    assert bad.status_code == 400
    ok = anon.post("/api/platforms/facebook/deauthorize", data={"signed_request": _signed(person)})
    assert ok.status_code == 200
    [conn] = connections()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    page_html = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Reconnect" in page_html


def test_data_deletion_of_the_person_deletes_their_page_history(app, client, creator, sandbox):
    from app.jobs.connections import process_data_deletion
    from app.models import DataDeletionRequest

    page = sandbox.create_account("facebook", "cara.only", 2_500, owner="Cara", seed=43)
    client.login("creator@example.com")
    connect(client, sandbox, "facebook", page["id"])
    person = sandbox.account(page["id"])["owner_user_id"]
    anon = app.test_client()
    anon.auto_csrf = False
    answer = anon.post("/api/platforms/facebook/data-deletion", data={"signed_request": _signed(person)}).get_json()
    assert answer["url"].endswith(f"/data-deletion/{answer['confirmation_code']}")
    [req] = db.session.execute(select(DataDeletionRequest)).scalars().all()
    assert req.platform == "facebook"
    assert process_data_deletion(req.id) == 1
    assert connections() == []
