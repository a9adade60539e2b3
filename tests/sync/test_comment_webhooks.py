"""Instagram comment webhooks: signature checked, deduplicated, stored; the sandbox delivering them for real."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Comment
from tests.support.live import serve_wsgi
from tests.sync.conftest import drain

SECRET = "sandbox-ig-secret"  # noqa: S105 - the sandbox app's secret


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


def test_webhook_signature_dedup_and_store(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram")
    drain(app)
    media = world.account(account["id"], posts=True)["posts"][0]["id"]
    value = {
        "id": "17800000000000042",
        "text": "Is this <b>live</b>? 🎉",
        "from": {"id": "1784", "username": "fan_w"},
        "media": {"id": media},
    }
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": account["platform_user_id"],
                    "time": 1796150000,
                    "changes": [{"field": "comments", "value": value}],
                }
            ],
        }
    ).encode()
    assert client.post("/api/platforms/instagram/webhook", data=body, headers=_signed(body, "wrong")).status_code == 400
    assert (
        client.post(
            "/api/platforms/instagram/webhook", data=body, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    ok = client.post("/api/platforms/instagram/webhook", data=body, headers=_signed(body))
    assert ok.get_json() == {"status": "ok", "stored": 1}
    again = client.post("/api/platforms/instagram/webhook", data=body, headers=_signed(body))
    assert again.get_json() == {"status": "duplicate"}
    rows = db.session.execute(select(Comment).where(Comment.connection_id == conn_id)).scalars().all()
    stored = [c for c in rows if c.platform_id == "17800000000000042"]
    assert len(stored) == 1
    assert (stored[0].text, stored[0].author_handle, stored[0].is_question) == (
        "Is this <b>live</b>? 🎉",
        "fan_w",
        True,
    )
    # verification echoes the challenge only for our token
    app.config["INSTAGRAM_WEBHOOK_VERIFY_TOKEN"] = "verify-me"
    good = client.get(
        "/api/platforms/instagram/webhook?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
    )
    assert good.get_data(as_text=True) == "1158201444"
    bad = client.get("/api/platforms/instagram/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert bad.status_code == 400


def test_sandbox_delivers_a_new_comment_between_syncs(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram")
    drain(app)
    with serve_wsgi(app) as url:
        resp = requests.put(
            f"{world.base_url}/_sandbox/webhooks",
            json={"instagram": f"{url}/api/platforms/instagram/webhook"},
            timeout=10,
        )
        assert resp.status_code == 200
        cid = world.add_comment(account["id"], "Just arrived 🚀 שלום", "fan_live")
    db.session.expire_all()
    row = db.session.execute(
        select(Comment).where(Comment.connection_id == conn_id, Comment.platform_id == cid)
    ).scalar_one()
    assert row.text == "Just arrived 🚀 שלום"
    assert row.author_handle == "fan_live"
