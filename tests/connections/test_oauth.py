"""The connect flow against the sandbox: O1-O7, callback outcomes, reconnect, disconnect (D3)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Connection, OAuthState
from app.models.base import utcnow
from app.models.platforms import CONNECTABLE
from app.platforms import pkce_challenge
from app.security.crypto import aad_for
from app.services.tokens import keyring
from tests.support.connect import REDIRECT_BASE, callback_path, connect, query, start, token_calls

PLATFORMS = ("instagram", "tiktok", "youtube", "x", "linkedin")


def connections() -> list[Connection]:
    db.session.expire_all()
    return list(db.session.execute(select(Connection)).scalars())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connect_end_to_end_stores_encrypted_tokens_and_lands_on_a_clean_page(
    client, creator, sandbox, accounts, platform
):
    client.login("creator@example.com")
    resp = connect(client, sandbox, platform, accounts[platform]["id"])
    # O6: 303 to a clean URL, no referrer
    assert resp.status_code == 303
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    location = resp.headers["Location"]
    assert re.fullmatch(r"/portal/settings/connections/\d+/connected", location)
    [conn] = connections()
    assert conn.status == "connected"
    assert conn.platform_user_id == accounts[platform]["platform_user_id"]
    if platform == "linkedin":  # LinkedIn gives members no handle: the name from userinfo
        assert conn.username is None
        assert conn.display_name == "Li Creator"
    else:
        assert conn.username == accounts[platform]["username"]
    issued = {t["value"] for t in sandbox.tokens(accounts[platform]["id"]) if t["kind"] != "authorization_code"}
    assert conn.access_token_enc.startswith("v1.k1.")
    access = keyring().decrypt(conn.access_token_enc, aad_for("connections", conn.id, "access_token_enc"))
    assert access in issued
    if platform != "instagram":
        refresh = keyring().decrypt(conn.refresh_token_enc, aad_for("connections", conn.id, "refresh_token_enc"))
        assert refresh in issued
    # the landing page shows the first numbers (profile fetched during the callback)
    page = client.get(location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "is connected" in html
    assert f"{conn.profile_stats['followers']:,}" in html
    # O6: no third-party resources on the landing page
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/") or url.startswith("#"), url
    assert not OAuthStateRows()


def OAuthStateRows() -> list[OAuthState]:  # noqa: N802 - reads like a table name
    return list(db.session.execute(select(OAuthState)).scalars())


def test_pkce_s256_fresh_verifier_per_flow_stored_server_side(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    first, second = start(client, "tiktok"), start(client, "tiktok")
    q1, q2 = query(first), query(second)
    assert q1["code_challenge_method"] == "S256"
    assert q1["code_challenge"] != q2["code_challenge"]
    rows = {r.state_hash: r for r in OAuthStateRows()}
    assert len(rows) == 2
    import hashlib

    row = rows[hashlib.sha256(q1["state"].encode()).hexdigest()]
    verifier = keyring().decrypt(row.code_verifier_enc, aad_for("oauth_states", row.state_hash, "code_verifier"))
    assert len(verifier) >= 43
    assert pkce_challenge(verifier) == q1["code_challenge"]
    assert q1["state"] not in (row.state_hash or "")  # only the hash is stored
    assert len(q1["state"]) >= 22  # >= 128 bits
    # the exchange carries the verifier of the same pending record (the sandbox enforces it)
    location = sandbox.consent(first, accounts["tiktok"]["id"])
    assert client.get(callback_path(location)).status_code == 303
    assert connections()[0].status == "connected"
    # Google also gets PKCE; Instagram Login takes none
    assert query(start(client, "youtube"))["code_challenge_method"] == "S256"
    assert "code_challenge" not in query(start(client, "instagram"))


def test_redirect_uri_is_a_constant_from_config_not_the_host_header(client, creator):
    client.login("creator@example.com")
    resp = client.post(
        "/api/portal/social/connect/tiktok?next=https://evil.example",
        headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"},
    )
    assert resp.status_code == 303
    assert query(resp.headers["Location"])["redirect_uri"] == f"{REDIRECT_BASE}/api/portal/social/callback/tiktok"


def test_replayed_callback_is_400_without_a_token_call(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "tiktok"), accounts["tiktok"]["id"])
    assert client.get(callback_path(location)).status_code == 303
    sandbox.clear_calls()
    again = client.get(callback_path(location))
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    assert token_calls(sandbox) == []


def test_callback_in_another_session_is_400(app, client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "tiktok"), accounts["tiktok"]["id"])
    other = app.test_client()
    other.login("creator@example.com")  # same user, a different browser session
    sandbox.clear_calls()
    resp = other.get(callback_path(location))
    assert resp.status_code == 400
    assert token_calls(sandbox) == []
    assert connections() == []


def test_state_of_user_a_used_by_user_b_is_400(app, client, creator, factory, sandbox, accounts):
    factory.client(email="attacker@example.com")
    attacker = app.test_client()
    attacker.login("attacker@example.com")
    # the attacker starts a flow with their own account and hands the callback URL to the victim
    location = sandbox.consent(start(attacker, "tiktok"), accounts["tiktok"]["id"])
    client.login("creator@example.com")
    sandbox.clear_calls()
    resp = client.get(callback_path(location))
    assert resp.status_code == 400
    assert token_calls(sandbox) == []
    assert connections() == []


def test_expired_state_is_400(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "instagram"), accounts["instagram"]["id"])
    db.session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    sandbox.clear_calls()
    resp = client.get(callback_path(location))
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)
    assert token_calls(sandbox) == []


def test_mix_up_tiktok_code_at_youtube_callback_is_400_and_calls_no_token_endpoint(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "tiktok"), accounts["tiktok"]["id"])
    sandbox.clear_calls()
    resp = client.get("/api/portal/social/callback/youtube?" + location.split("?", 1)[1])
    assert resp.status_code == 400
    assert sandbox.calls() == []  # no outbound call to any platform
    assert connections() == []


def test_unexpected_iss_is_rejected(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "youtube"), accounts["youtube"]["id"])
    sandbox.clear_calls()
    resp = client.get(callback_path(location) + "&iss=https%3A%2F%2Fevil.example")
    assert resp.status_code == 400
    assert sandbox.calls() == []


@pytest.mark.parametrize("args", ["", "state=forged", "code=abc&state=" + "A" * 43, "state=" + "x" * 500])
def test_forged_or_missing_state_is_400(client, creator, sandbox, args):
    client.login("creator@example.com")
    resp = client.get(f"/api/portal/social/callback/tiktok?{args}")
    assert resp.status_code == 400
    assert sandbox.calls() == []
    assert connections() == []


def test_missing_code_is_400_and_nothing_is_stored(client, creator, sandbox):
    client.login("creator@example.com")
    state = query(start(client, "tiktok"))["state"]
    resp = client.get(f"/api/portal/social/callback/tiktok?state={state}")
    assert resp.status_code == 400
    assert "no authorization code" in resp.get_data(as_text=True)
    assert connections() == []
    assert sandbox.calls() == []


def test_callback_without_login_shows_a_page(client, sandbox):
    resp = client.get("/api/portal/social/callback/tiktok?code=x&state=y")
    assert resp.status_code == 401
    assert "log in" in resp.get_data(as_text=True).lower()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_denied_consent_lands_on_a_clear_page(client, creator, sandbox, accounts, platform):
    client.login("creator@example.com")
    resp = connect(client, sandbox, platform, accounts[platform]["id"], decision="deny")
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/portal/settings/connections/problem/{platform}/denied"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "was not connected" in page
    assert "Nothing was saved" in page
    assert connections() == []


def test_personal_instagram_account_gets_the_account_type_page(client, creator, sandbox):
    personal = sandbox.create_account("instagram", "just.me", 120, account_type="PERSONAL")
    client.login("creator@example.com")
    resp = connect(client, sandbox, "instagram", personal["id"])
    assert resp.headers["Location"].endswith("/problem/instagram/wrong_account_type")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "professional" in page
    assert connections() == []


def test_deselected_scope_marks_insufficient_scope_and_enqueues_nothing(app, client, creator, sandbox, accounts):
    from app.queueing.queues import QUEUES, get_queue

    client.login("creator@example.com")
    resp = connect(
        client,
        sandbox,
        "youtube",
        accounts["youtube"]["id"],
        scopes=["https://www.googleapis.com/auth/youtube.readonly"],
    )
    assert resp.status_code == 303
    [conn] = connections()
    assert conn.status == "insufficient_scope"
    assert "yt-analytics.readonly" in conn.last_error
    assert all(get_queue(q).count == 0 for q in QUEUES)  # O7: no sync scheduled
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "permissions are missing" in page
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Missing permissions" in cards
    assert "Reconnect" in cards


def test_without_the_read_scope_nothing_is_stored_and_the_grant_is_revoked(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    resp = connect(
        client,
        sandbox,
        "youtube",
        accounts["youtube"]["id"],
        scopes=["https://www.googleapis.com/auth/yt-analytics.readonly"],
    )
    assert resp.headers["Location"].endswith("/problem/youtube/insufficient_scope")
    assert connections() == []
    assert any("revoke" in c["path"] for c in sandbox.calls())


def test_garbage_from_the_token_endpoint_stores_nothing(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    location = sandbox.consent(start(client, "tiktok"), accounts["tiktok"]["id"])
    sandbox.add_fault("tiktok", "malformed", path_contains="oauth/token")
    resp = client.get(callback_path(location))
    assert resp.headers["Location"].endswith("/problem/tiktok/failed")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nothing was saved" in page
    assert connections() == []


def test_account_connected_by_another_client_is_refused(app, client, creator, factory, sandbox, accounts):
    factory.client(email="other@example.com")
    other = app.test_client()
    other.login("other@example.com")
    assert connect(other, sandbox, "tiktok", accounts["tiktok"]["id"]).status_code == 303
    client.login("creator@example.com")
    resp = connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    assert resp.headers["Location"].endswith("/problem/tiktok/taken")
    assert "already connected by another client" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert len(connections()) == 1
    # the first client's grant still works: nothing was revoked
    assert all(t["status"] == "ok" for t in sandbox.tokens(accounts["tiktok"]["id"]) if t["kind"] == "refresh")


def test_disconnect_revokes_at_the_platform_and_reconnect_keeps_the_history(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    [conn] = connections()
    conn_id = conn.id
    sandbox.clear_calls()
    resp = client.hx("POST", f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "keep"})
    assert resp.status_code == 200
    assert "history is kept" in resp.headers["HX-Trigger"]
    assert [c["path"] for c in sandbox.calls() if "revoke" in c["path"]] == ["/open.tiktokapis.com/v2/oauth/revoke/"]
    assert all(
        t["status"] == "revoked" for t in sandbox.tokens(accounts["tiktok"]["id"]) if t["kind"] != "authorization_code"
    )
    [conn] = connections()
    assert conn.status == "disconnected"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    # reconnect: the same row (its history) comes back
    resp = connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    assert resp.headers["Location"] == f"/portal/settings/connections/{conn_id}/connected"
    [conn] = connections()
    assert conn.status == "connected"
    assert conn.disconnected_at is None


def test_disconnect_with_delete_really_deletes(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "instagram", accounts["instagram"]["id"])
    [conn] = connections()
    confirm = client.get(f"/portal/settings/connections/{conn.id}/disconnect").get_data(as_text=True)
    assert 'value="keep"' in confirm
    assert 'value="delete"' in confirm
    resp = client.post(f"/portal/settings/connections/{conn.id}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    assert connections() == []


def test_another_clients_connection_is_404_everywhere(app, client, creator, factory, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    [conn] = connections()
    factory.client(email="nosy@example.com")
    nosy = app.test_client()
    nosy.login("nosy@example.com")
    for method, url in (
        ("GET", f"/portal/settings/connections/{conn.id}/connected"),
        ("GET", f"/portal/settings/connections/{conn.id}/disconnect"),
        ("POST", f"/portal/settings/connections/{conn.id}/disconnect"),
        ("DELETE", f"/api/portal/social/connections/{conn.id}"),
        ("POST", f"/api/portal/social/connections/{conn.id}/refresh"),
    ):
        assert nosy.open(url, method=method).status_code == 404, (method, url)
    assert connections()[0].status == "connected"


def test_cards_page_and_portal_home(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    assert page.count('class="conn-card"') == len(CONNECTABLE)
    assert "Not connected" in page
    perm = client.get("/portal/settings/connections/instagram/permissions").get_data(as_text=True)
    assert "Read-only" in perm
    assert "professional account" in perm
    assert "How to stop" in perm
    linkedin = client.get("/portal/settings/connections/linkedin/permissions").get_data(as_text=True)
    assert "Community Management API" in linkedin  # comments: stated plainly
    assert "Permitted services" in linkedin
    connect(client, sandbox, "instagram", accounts["instagram"]["id"])
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "ig.creator" in page
    assert "Connected" in page
    fragment = client.get("/portal/settings/connections", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="connection-cards"')
    home = client.get("/portal").get_data(as_text=True)
    assert "ig.creator" in home
    assert "/portal/settings/connections" in home


def test_staff_cannot_start_a_connection(client, factory):
    factory.coach(email="coach2@example.com")
    client.login("coach2@example.com")
    assert client.post("/api/portal/social/connect/tiktok").status_code == 404
    assert client.post("/api/portal/social/connect/myspace").status_code == 404
