"""The inbox's "unanswered first" order across pages (two index reads joined by the cursor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Comment
from tests.support import history as h

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_unanswered_first_pages_through_both_parts(client: Any, factory: Any) -> None:
    c = factory.client(coach=None, email="c@example.com", name="C")
    conn = h.connection(c, "youtube")
    # published hourly: n0 oldest ... n4 newest; n1 and n3 answered
    for n in range(5):
        db.session.add(
            Comment(
                connection_id=conn.id,
                client_id=c.id,
                platform="youtube",
                platform_id=f"n{n}",
                post_platform_id="v1",
                text=f"n{n}",
                published_at=T0 + timedelta(hours=n),
                answered_at=T0 + timedelta(hours=n, minutes=30) if n in (1, 3) else None,
            )
        )
    db.session.commit()
    client.login("c@example.com")
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/portal/social/comments?sort=unanswered&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).get_json()
        seen += [x["text"] for x in body["comments"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["n4", "n2", "n0", "n3", "n1"]
    assert pages == 3
    newest = client.get("/api/portal/social/comments?sort=newest&limit=10").get_json()
    assert [x["text"] for x in newest["comments"]] == ["n4", "n3", "n2", "n1", "n0"]
