"""LinkedIn after a revoked grant (docs/connecting.md, the lead's decision): LinkedIn has no deletion
callback, so the history is kept; the connection shows broken, the client is told (email and alert), and
can reconnect (the same history continues) or delete it from the connections page. Real OAuth round
trip, real worker, the sandbox's revocation (the member removed the app in LinkedIn's settings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Alert, Connection, OutboxEmail
from app.models.history import AccountInsight, ContentItem, ContentMetricSnapshot, DailySnapshot
from app.queueing import dispatch
from tests.support.connect import connect
from tests.sync.conftest import drain, runs

POST_DAYS = (2, 6, 11)


def _rows(conn_id: int) -> dict[str, int]:
    """Every kind of synced history of the connection, counted."""
    db.session.expire_all()

    def n(model: Any) -> int:
        return int(
            db.session.execute(select(func.count()).select_from(model).where(model.connection_id == conn_id)).scalar()
        )

    metric_rows = db.session.execute(
        select(func.count())
        .select_from(ContentMetricSnapshot)
        .join(ContentItem)
        .where(ContentItem.connection_id == conn_id)
    ).scalar()
    return {
        "items": n(ContentItem),
        "snapshots": n(DailySnapshot),
        "insights": n(AccountInsight),
        "metrics": int(metric_rows),
    }


def test_a_revoked_linkedin_grant_keeps_the_history_until_the_client_deletes_it(
    app: Any, link: Any, world: Any, client: Any
) -> None:
    now = datetime.now(UTC)
    posts = [
        {"published_at": (now - timedelta(days=d)).isoformat(), "caption": f"Post {d}", "like_count": 10 + d}
        for d in POST_DAYS
    ]
    conn_id, account = link("linkedin", posts=posts, daily_changes=[2] * 60)
    dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    before = _rows(conn_id)
    assert before["items"] == len(POST_DAYS)  # the three posts the member wrote
    assert before["snapshots"] >= 1
    assert before["insights"] > 0  # the backfilled daily analytics

    # the member removes the app at linkedin.com: the next sync meets 401 REVOKED_ACCESS_TOKEN
    world.revoke(account["id"])
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    drain(app)
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert conn.refresh_token_enc is None
    assert conn.is_live  # broken, not gone: the row and its history stay
    assert _rows(conn_id) == before
    # the client is told: the email and the alert
    emails = db.session.execute(select(OutboxEmail.kind, OutboxEmail.to_address)).all()
    assert ("connection_revoked", "creator@example.com") in [(k, a) for k, a in emails]
    lost = db.session.execute(select(Alert).where(Alert.connection_id == conn_id)).scalars().all()
    assert [a.type for a in lost].count("CONNECTION_LOST") == 1
    # the card: broken, with Reconnect and Disconnect (where the history can be deleted)
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    card = cards[cards.index('id="conn-linkedin"') :]
    card = card[: card.index("</article>")]
    assert "Reconnect" in card
    assert f"/portal/settings/connections/{conn_id}/disconnect" in card
    # the pages still show the kept history
    assert client.get("/api/portal/social/linkedin/metrics?range=30d").get_json()["followers"]["end"] == 4_200

    # reconnecting the same member continues the same history on the same row
    resp = connect(client, world, "linkedin", account["id"])
    assert resp.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Connection)).scalar() == 1
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "connected"
    drain(app)
    after = _rows(conn_id)
    assert after["items"] == before["items"]  # the same three posts, not copies
    assert after["snapshots"] >= before["snapshots"]

    # the client deletes it from the connections page: every row of the connection is gone
    ask = client.get(f"/portal/settings/connections/{conn_id}/disconnect").get_data(as_text=True)
    assert 'value="delete"' in ask
    resp = client.post(f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(Connection, conn_id) is None
    assert _rows(conn_id) == {"items": 0, "snapshots": 0, "insights": 0, "metrics": 0}


def test_a_revoked_grant_can_be_deleted_without_reconnecting(app: Any, link: Any, world: Any, client: Any) -> None:
    """Straight from the broken card: the revoke at LinkedIn is skipped (no token left), the rows go."""
    conn_id, account = link("linkedin", daily_changes=[1] * 30)
    dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    assert _rows(conn_id)["snapshots"] >= 1
    world.revoke(account["id"])
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    assert db.session.get(Connection, conn_id).status == "revoked"
    world.clear_calls()
    resp = client.post(f"/portal/settings/connections/{conn_id}/disconnect", data={"history": "delete"})
    assert resp.status_code == 303
    assert world.calls("linkedin") == []  # no token to revoke: nothing is sent to LinkedIn
    db.session.expire_all()
    assert db.session.get(Connection, conn_id) is None
    assert _rows(conn_id) == {"items": 0, "snapshots": 0, "insights": 0, "metrics": 0}
