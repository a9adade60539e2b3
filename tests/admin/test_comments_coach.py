"""The coach's comment view on the CRM client page: the figures, the read-only inbox, other coaches' 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Comment
from tests.support import history as h

XSS = "<script>alert(1)</script> Where? مرحبا"


def test_coach_sees_comment_health_and_read_only_inbox(client: Any, factory: Any) -> None:
    coach = factory.coach(email="coach@example.com")
    factory.coach(email="other@example.com")
    ann = factory.client(coach=coach, name="Ann")
    conn = h.connection(ann, "instagram")
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    for n, (text, answered) in enumerate(
        [(XSS, None), ("nice", now + timedelta(hours=2)), ("cool", now + timedelta(hours=4))]
    ):
        db.session.add(
            Comment(
                connection_id=conn.id,
                client_id=ann.id,
                platform="instagram",
                platform_id=f"c{n}",
                post_platform_id="p1",
                text=text,
                is_question=n == 0,
                published_at=now,
                answered_at=answered,
                author_handle=f"fan{n}",
            )
        )
    db.session.commit()
    client.login("coach@example.com")
    page = client.get(f"/admin/clients/{ann.id}").get_data(as_text=True)
    assert "Unanswered questions</th><td>1</td>" in page
    assert "66.7% (2 of 3)" in page
    assert "Median response time</th><td>3.0 h" in page  # median of 2 h and 4 h
    inbox = client.get(f"/admin/clients/{ann.id}/comments").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox
    assert "<script>alert(1)</script>" not in inbox
    assert "Send reply" not in inbox  # read-only
    api = client.get(f"/api/admin/social/clients/{ann.id}/comments?state=unanswered").get_json()
    assert [c["text"] for c in api["comments"]] == [XSS]
    client.login("other@example.com")
    assert client.get(f"/admin/clients/{ann.id}/comments").status_code == 404
    assert client.get(f"/api/admin/social/clients/{ann.id}/comments").status_code == 404
