"""X through the product's connect flow: PKCE verifier kept server side, tokens stored encrypted,
disconnect revokes at X (the refresh token ends the grant), reconnect keeps the history, delete deletes,
and a suspended account cannot be connected."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from tests.support.connect import connect, query, start


def _connections() -> list[Connection]:
    db.session.expire_all()
    return list(db.session.execute(select(Connection)).scalars())


def test_authorize_url_carries_pkce_and_space_separated_scopes(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    url = start(client, "x")
    assert url.startswith(sandbox.url("x.com/i/oauth2/authorize?"))
    params = query(url)
    assert params["scope"] == "tweet.read users.read offline.access"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["client_id"] == "sandbox-x-client"


def test_disconnect_revokes_at_x_and_reconnect_keeps_the_history(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    assert connect(client, sandbox, "x", accounts["x"]["id"]).status_code == 303
    [conn] = _connections()
    conn_id = conn.id
    assert conn.profile_stats["followers"] == 5_321
    sandbox.clear_calls()
    resp = client.hx("POST", f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "keep"})
    assert resp.status_code == 200
    assert [c["path"] for c in sandbox.calls() if "revoke" in c["path"]] == ["/api.x.com/2/oauth2/revoke"]
    assert all(
        t["status"] == "revoked" for t in sandbox.tokens(accounts["x"]["id"]) if t["kind"] != "authorization_code"
    )
    [conn] = _connections()
    assert conn.status == "disconnected"
    assert conn.access_token_enc is None
    resp = connect(client, sandbox, "x", accounts["x"]["id"])
    assert resp.headers["Location"] == f"/portal/settings/connections/{conn_id}/connected"
    resp = client.post(f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    assert _connections() == []


def test_suspended_account_cannot_connect_and_nothing_is_saved(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    sandbox.x_state(accounts["x"]["id"], suspended=True)
    url = start(client, "x")
    import requests

    answer = requests.post(url, data={"account_id": accounts["x"]["id"], "decision": "approve"}, timeout=10)
    assert answer.status_code == 403
    assert "suspended" in answer.text
    assert _connections() == []


def test_protected_account_connects(client, creator, sandbox, accounts):
    client.login("creator@example.com")
    sandbox.x_state(accounts["x"]["id"], protected=True)
    assert connect(client, sandbox, "x", accounts["x"]["id"]).status_code == 303
    [conn] = _connections()
    assert conn.status == "connected"
    assert conn.account_type == "protected"
