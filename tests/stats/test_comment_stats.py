"""Comment figures (docs/metrics.md, "Comments") against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.extensions import db
from app.models import Comment
from app.stats.comments import comment_health, is_question, unanswered_count
from tests.support import history

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where did you get that?", True),
        ("how long did it take", True),
        ("ما هذا؟", True),
        ("これは何？", True),
        ("Love this 😍", False),
        ("   ", False),
        ("Showing how it's done", False),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert is_question(text) is expected


def _comment(conn: Any, n: int, **kw: Any) -> Comment:
    c = Comment(
        connection_id=conn.id,
        client_id=conn.client_id,
        platform="instagram",
        platform_id=f"c{n}",
        post_platform_id=kw.pop("post", "p1"),
        text=kw.pop("text", "nice"),
        published_at=kw.pop("at", T0),
        **kw,
    )
    db.session.add(c)
    return c


def test_comment_health_hand_computed(app: Any, factory: Any) -> None:
    client = factory.client(coach=None, email="c@example.com", name="C")
    conn = history.connection(client, "instagram")
    # five audience comments on two posts: answered after 1 h, 3 h and 10 h; two unanswered, one a question
    _comment(conn, 1, text="How?", is_question=True, answered_at=T0 + timedelta(hours=1))
    _comment(conn, 2, answered_at=T0 + timedelta(hours=3))
    _comment(conn, 3, post="p2", answered_at=T0 + timedelta(hours=10))
    _comment(conn, 4, post="p2", text="Why?", is_question=True)
    _comment(conn, 5, post="p2")
    # not counted: the owner's own comment, a deleted one, one outside the period
    _comment(conn, 6, from_owner=True)
    _comment(conn, 7, text="Gone?", is_question=True, deleted_at_platform=T0)
    _comment(conn, 8, at=T0 - timedelta(days=40))
    db.session.commit()
    health = comment_health(client.id, T0 - timedelta(days=30), T0 + timedelta(days=1))
    assert health.comments == 5
    assert health.answered == 3
    assert health.unanswered_questions == 1
    assert health.response_rate_pct == 60.0  # 3 / 5
    assert health.median_response_hours == 3.0  # median of 1, 3, 10
    assert health.posts_with_comments == 2
    assert health.comments_per_post == 2.5  # 5 / 2
    assert unanswered_count(client.id) == 3  # c4, c5 and the older c8 (not deleted, not the owner's)
