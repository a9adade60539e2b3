"""A sync's independent platform calls overlap (``app/sync/aside.py``), proven without timing anything.

A real sync run by an RQ worker against the sandbox, with two sandbox rendezvous (``app/sandbox/faults.py``):
the account insights and the content listing must be in flight together (the insights run in a side
thread), and the comment step must read three posts' comment pages at once. A held call is answered
when its partners arrive, so with the overlap both rendezvous meet; in sequence they can never meet
(each held call is answered after the timeout, as usual, and the rendezvous is marked failed), which
the last test shows with ``aside.OVERLAP`` off. X reads its insights in sequence on purpose (plans.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment
from app.sync import aside
from app.sync.comments import OVERLAP as POSTS_AT_ONCE
from tests.sync.conftest import drain, runs

#: the path of the first content call of the plan, per platform
CONTENT = {"instagram": "/me/media", "facebook": "/me/published_posts"}


def _setup(link: Any, world: Any, platform: str, timeout: float) -> int:
    """A connection (its initial sync queued) with 3 recent posts, each with a comment, and the rendezvous."""
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {"published_at": (now - timedelta(days=n + 1)).isoformat().replace("+00:00", "Z"), "comment_count": 1}
        for n in range(POSTS_AT_ONCE)
    ]
    conn_id, account = link(platform, posts=posts)
    for n, post in enumerate(world.account(account["id"], posts=True)["posts"]):
        world.add_comment(account["id"], f"comment {n}", f"fan_{n}", author_name=f"Fan {n}", post_id=post["id"])
    world.rendezvous(
        "insights beside content",
        {"platform": platform, "path_contains": "/me/insights"},
        {"platform": platform, "path_contains": CONTENT[platform]},
        timeout=timeout,
    )
    world.rendezvous(
        "comment pages at once",
        *[{"platform": platform, "path_contains": "/comments"}] * POSTS_AT_ONCE,
        timeout=timeout,
    )
    return conn_id


def _comments(conn_id: int) -> int:
    db.session.expire_all()
    return int(db.session.execute(select(func.count()).where(Comment.connection_id == conn_id)).scalar_one())


@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_insights_beside_content_and_comment_pages_at_once(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id = _setup(link, world, platform, timeout=5)  # under the read timeout (FAST): a held call still answers
    drain(app)
    assert runs(conn_id)[-1].status == "succeeded", runs(conn_id)[-1].details
    assert world.rendezvous_state("insights beside content")["state"] == "met"
    assert world.rendezvous_state("comment pages at once") == {
        "name": "comment pages at once",
        "parties": POSTS_AT_ONCE,
        "arrived": POSTS_AT_ONCE,
        "state": "met",
    }
    assert _comments(conn_id) == POSTS_AT_ONCE


def test_in_sequence_they_never_meet(app: Any, link: Any, world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the test above catches: the plan as it was before the overlap (every step inline)."""
    monkeypatch.setattr(aside, "OVERLAP", False)
    conn_id = _setup(link, world, "instagram", timeout=0.5)
    drain(app)
    assert runs(conn_id)[-1].status == "succeeded", runs(conn_id)[-1].details  # held calls were answered
    assert world.rendezvous_state("insights beside content")["state"] == "failed"
    assert world.rendezvous_state("comment pages at once")["state"] == "failed"
    assert _comments(conn_id) == POSTS_AT_ONCE
