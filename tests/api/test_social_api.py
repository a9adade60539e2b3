"""The portal's connections API (contract §6.2): shapes, statuses, JSON errors, 404 for others' objects."""

from __future__ import annotations

from tests.support.connect import connect, query


def test_list_connect_refresh_and_delete(app, client, creator, sandbox, accounts):
    client.login("creator@example.com")
    assert client.get("/api/portal/social/connections").get_json() == {"connections": []}
    resp = client.post("/api/portal/social/connect/youtube")
    assert resp.status_code == 303
    assert query(resp.headers["Location"])["access_type"] == "offline"
    connect(client, sandbox, "youtube", accounts["youtube"]["id"])
    [conn] = client.get("/api/portal/social/connections").get_json()["connections"]
    assert conn["platform"] == "youtube"
    assert conn["status"] == "connected"
    assert conn["username"] == "yt.creator"
    assert conn["profile"]["followers"] > 0
    assert not any("token" in k and "expires" not in k for k in conn)  # no token in the API

    first = client.post(f"/api/portal/social/connections/{conn['id']}/refresh")
    assert first.status_code == 202
    assert first.get_json()["status"] == "accepted"
    again = client.post(f"/api/portal/social/connections/{conn['id']}/refresh")
    assert again.status_code == 429
    assert 3500 <= int(again.headers["Retry-After"]) <= 3601
    assert again.get_json()["error"]["code"] == "too_many_requests"

    bad = client.delete(f"/api/portal/social/connections/{conn['id']}?history=maybe")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "invalid"
    gone = client.delete(f"/api/portal/social/connections/{conn['id']}")
    assert gone.status_code == 200
    assert gone.get_json()["history"] == "kept"
    assert gone.get_json()["connection"]["status"] == "disconnected"
    deleted = client.delete(f"/api/portal/social/connections/{conn['id']}?history=delete")
    assert deleted.get_json() == {"connection": None, "history": "deleted"}
    assert client.get("/api/portal/social/connections").get_json() == {"connections": []}


def test_errors_are_json_and_other_clients_objects_are_404(app, client, creator, factory, sandbox, accounts):
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    [conn] = client.get("/api/portal/social/connections").get_json()["connections"]
    factory.client(email="other@example.com")
    other = app.test_client()
    other.login("other@example.com")
    for method, url in (
        ("DELETE", f"/api/portal/social/connections/{conn['id']}"),
        ("POST", f"/api/portal/social/connections/{conn['id']}/refresh"),
        ("DELETE", "/api/portal/social/connections/999999"),
    ):
        resp = other.open(url, method=method)
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "not_found"
    assert other.get("/api/portal/social/connections").get_json() == {"connections": []}
    assert other.post("/api/portal/social/connect/friendster").status_code == 404
    anon = app.test_client()
    assert anon.get("/api/portal/social/connections").status_code == 401


def test_unconfigured_platform_is_a_clear_error(make_app, factory):
    app = make_app()  # no sandbox, no credentials
    with app.app_context():
        factory.client(email="c@example.com")
    client = app.test_client()
    client.login("c@example.com")
    resp = client.post("/api/portal/social/connect/tiktok")
    assert resp.status_code == 400
    assert "not set up" in resp.get_json()["error"]["message"]
