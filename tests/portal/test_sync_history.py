"""A client's own sync history in plain words (issue "Pages people enjoy")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models.sync import SyncRun
from tests.support import history as h


def test_a_client_reads_their_own_syncs_in_plain_words(client, factory):
    c = factory.client(email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    now = datetime.now(UTC)
    db.session.add_all(
        [
            SyncRun(
                connection_id=ig.id,
                trigger="initial",
                status="succeeded",
                items=12,
                queued_at=now - timedelta(days=2),
                finished_at=now - timedelta(days=2),
            ),
            SyncRun(
                connection_id=ig.id,
                trigger="daily",
                status="failed",
                error_class="unavailable",
                error_message="The platform did not answer; we will try again.",
                queued_at=now - timedelta(hours=5),
                finished_at=now - timedelta(hours=5),
            ),
            SyncRun(
                connection_id=ig.id,
                trigger="manual",
                status="partial",
                items=1,
                queued_at=now - timedelta(minutes=3),
                finished_at=now - timedelta(minutes=3),
            ),
        ]
    )
    other = factory.client(email="o@example.com", name="Otto")
    tt = h.connection(other, "tiktok", username="otto_tt")
    db.session.add(SyncRun(connection_id=tt.id, trigger="daily", status="succeeded", items=99, queued_at=now))
    db.session.commit()
    client.login("c@example.com")
    page = client.get("/portal/sync-history").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("</tr>")[:-1]
    assert len(rows) == 3  # newest first, only her own
    assert "3 minutes ago" in rows[0]
    assert "You asked for a refresh" in rows[0]
    assert "Numbers updated (1 post checked); some numbers were not available this time." in rows[0]
    assert "The platform did not answer; we will try again." in rows[1]
    assert "First sync after connecting" in rows[2]
    assert "12 posts checked" in rows[2]
    assert "otto" not in page.lower()
    assert "sync history" in client.get("/portal/analytics").get_data(as_text=True)


def test_staff_and_strangers_are_kept_out(client, factory):
    factory.coach(email="coach@example.com")
    assert client.get("/portal/sync-history").status_code in (302, 401)
    client.login("coach@example.com")
    assert client.get("/portal/sync-history").status_code in (302, 403)
