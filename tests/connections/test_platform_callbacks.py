"""Meta deauthorize / data-deletion (signed_request) and TikTok authorization.removed (W10, D4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from sqlalchemy import select

from app.extensions import db
from app.models import Connection, DataDeletionRequest
from app.queueing.queues import DEFAULT, get_queue
from tests.support.connect import connect

IG_SECRET = "sandbox-ig-secret"
TT_SECRET = "sandbox-tiktok-secret"


def signed_request(user_id: str, secret: str = IG_SECRET, **extra: object) -> str:
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": user_id, **extra}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(sig).rstrip(b"=").decode() + "." + body


def rows() -> list[Connection]:
    db.session.expire_all()
    return list(db.session.execute(select(Connection)).scalars())


def ig_connected(client, sandbox, accounts) -> Connection:
    client.login("creator@example.com")
    connect(client, sandbox, "instagram", accounts["instagram"]["id"])
    get_queue(DEFAULT).empty()  # the connect's own follow-ups (the webhook subscription): not what is watched here
    [conn] = rows()
    return conn


def test_bad_signature_is_400_and_enqueues_nothing(app, client, creator, sandbox, accounts):
    conn = ig_connected(client, sandbox, accounts)
    anon = app.test_client()
    for sr in (
        signed_request(conn.platform_user_id, secret="wrong"),
        "garbage",
        "",
        signed_request(conn.platform_user_id).replace(".", ".e30", 1),
    ):
        resp = anon.post("/api/platforms/instagram/data-deletion", data={"signed_request": sr})
        assert resp.status_code == 400
        assert resp.get_json()["error"]["code"] == "bad_signature"
        assert anon.post("/api/platforms/instagram/deauthorize", data={"signed_request": sr}).status_code == 400
    stale = signed_request(conn.platform_user_id, issued_at=int(time.time()) - 2 * 86400)
    assert anon.post("/api/platforms/instagram/deauthorize", data={"signed_request": stale}).status_code == 400
    undated = signed_request(conn.platform_user_id, issued_at=None)  # no age: could be replayed for ever
    resp = anon.post("/api/platforms/instagram/deauthorize", data={"signed_request": undated})
    assert resp.status_code == 400
    assert "issued_at" in resp.get_json()["error"]["message"]
    assert get_queue(DEFAULT).count == 0
    assert db.session.execute(select(DataDeletionRequest)).first() is None
    assert rows()[0].status == "connected"


def test_deauthorize_marks_revoked_and_deletes_tokens(app, client, creator, sandbox, accounts):
    conn = ig_connected(client, sandbox, accounts)
    anon = app.test_client()
    anon.auto_csrf = False  # Meta sends no CSRF token: these are the only exempt routes
    resp = anon.post(
        "/api/platforms/instagram/deauthorize", data={"signed_request": signed_request(conn.platform_user_id)}
    )
    assert resp.status_code == 200
    [conn] = rows()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    assert "Access removed" in page
    assert "Reconnect" in page


def test_data_deletion_once_same_code_status_page_and_job(app, client, creator, sandbox, accounts):
    conn = ig_connected(client, sandbox, accounts)
    anon = app.test_client()
    anon.auto_csrf = False
    sr = signed_request(conn.platform_user_id)
    first = anon.post("/api/platforms/instagram/data-deletion", data={"signed_request": sr}).get_json()
    second = anon.post("/api/platforms/instagram/data-deletion", data={"signed_request": sr}).get_json()
    assert first == second
    assert first["url"] == f"https://portal.example.com/data-deletion/{first['confirmation_code']}"
    assert get_queue(DEFAULT).count == 1  # one deletion job (deterministic id)
    assert rows()[0].access_token_enc is None  # tokens go at once
    status = anon.get(f"/data-deletion/{first['confirmation_code']}").get_data(as_text=True)
    assert "In progress" in status
    from app.jobs.connections import process_data_deletion

    [req] = db.session.execute(select(DataDeletionRequest)).scalars().all()
    assert process_data_deletion(req.id) == 1
    assert process_data_deletion(req.id) == 0  # re-running is a no-op
    assert rows() == []
    assert "Completed" in anon.get(f"/data-deletion/{first['confirmation_code']}").get_data(as_text=True)
    assert anon.get("/data-deletion/unknown").status_code == 404


def tiktok_post(client, body: dict, secret: str = TT_SECRET, stamp: int | None = None):
    raw = json.dumps(body).encode()
    t = str(stamp if stamp is not None else int(time.time()))
    sig = hmac.new(secret.encode(), t.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/platforms/tiktok/webhook",
        data=raw,
        headers={"TikTok-Signature": f"t={t},s={sig}", "Content-Type": "application/json"},
    )


def tiktok_connected(app, client, sandbox, accounts, reason: int) -> tuple[object, dict]:
    """A connected TikTok account, an anonymous client for the webhook, and its removal event."""
    client.login("creator@example.com")
    connect(client, sandbox, "tiktok", accounts["tiktok"]["id"])
    [conn] = rows()
    anon = app.test_client()
    anon.auto_csrf = False
    event = {
        "client_key": "sandbox-tiktok-key",
        "event": "authorization.removed",
        "create_time": int(time.time()),
        "user_openid": conn.platform_user_id,
        "content": json.dumps({"reason": reason}),
    }
    return anon, event


def test_tiktok_authorization_removed(app, client, creator, sandbox, accounts):
    anon, event = tiktok_connected(app, client, sandbox, accounts, reason=1)
    assert tiktok_post(anon, event, secret="wrong").status_code == 400
    assert tiktok_post(anon, event, stamp=int(time.time()) - 600).status_code == 400  # stale
    assert rows()[0].status == "connected"
    resp = tiktok_post(anon, event)
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "removed"
    [conn] = rows()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    # account deleted at TikTok: its data goes too
    event["content"] = json.dumps({"reason": 2})
    assert tiktok_post(anon, event).get_json()["status"] == "deleted"
    from app.jobs.connections import process_data_deletion

    [req] = db.session.execute(select(DataDeletionRequest)).scalars().all()
    process_data_deletion(req.id)
    assert rows() == []
    assert tiktok_post(anon, {"event": "video.publish.complete"}).get_json()["status"] == "ignored"


def test_a_replayed_tiktok_webhook_is_acknowledged_and_not_acted_on_again(app, client, creator, sandbox, accounts):
    """Inside its 300-second window a signed message is valid; sent again (a replay) it is answered 200
    and ignored."""
    anon, event = tiktok_connected(app, client, sandbox, accounts, reason=2)
    stamp = int(time.time())
    assert tiktok_post(anon, event, stamp=stamp).get_json()["status"] == "deleted"
    replay = tiktok_post(anon, event, stamp=stamp)
    assert replay.status_code == 200
    assert replay.get_json()["status"] == "duplicate"
    assert len(db.session.execute(select(DataDeletionRequest)).scalars().all()) == 1
    assert tiktok_post(anon, event, stamp=stamp + 1).get_json()["status"] == "deleted"  # a new delivery
