"""Failed and stuck comment replies on the admins' operations page: listed with the reason, the client and
the comment; a retry goes through the worker's claim and landing check, so a reply that reached the
platform is recorded, not sent again, however many admins click; a reply whose comment is gone can only
be discarded, and a discarded reply is never sent by the sweep. Sandbox over HTTP, real RQ worker."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.errors import ServiceError
from app.extensions import db
from app.models import Comment, CommentReply, User, WorkAction
from app.services import failed_work
from app.sync import replies
from tests.sync.conftest import drain
from tests.sync.test_comments_inbox import _grant, _setup

INSERT = "/youtube/v3/comments"


def _inserts(world: Any) -> list[dict[str, Any]]:
    return [c for c in world.calls("youtube") if c["method"] == "POST" and c["path"].endswith(INSERT)]


def _ready(client: Any) -> int:
    return int(client.get("/readyz").json["background"]["failed_work"]["reply"])


def test_a_reply_that_failed_after_landing_is_retried_once_and_recorded_not_resent(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, account, media, ids = _setup(link, world, app, "youtube")
    assert _grant(client, world, "youtube", account["id"]).status_code in (302, 303)
    drain(app)
    question = db.session.execute(select(Comment).where(Comment.platform_id == ids["q"])).scalar_one()
    text = "About 3 weeks! ⏳"
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text}).status_code == 202
    # this is its last try (4 made before): the landing check passes, the send times out at our end while
    # the sandbox takes the reply, so the row fails although the reply is at the platform
    db.session.execute(update(CommentReply).values(attempts=replies.MAX_ATTEMPTS - 1))
    db.session.commit()
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 1.0
    world.add_fault("youtube", "timeout", path_contains=INSERT, seconds=2.0, skip=1)
    world.clear_calls()
    drain(app)
    time.sleep(2.5)  # the sandbox finishes the timed-out request
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 6.0
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("failed", 5)
    assert row.error == "The platform did not answer; the reply was not sent."
    assert len(_inserts(world)) == 1

    admins = [factory.admin(email=f"a{i}@example.com", name=f"Admin {i}").id for i in range(2)]
    client.logout()
    client.login("a0@example.com")
    page = client.get("/admin/ops/work?kind=reply").get_data(as_text=True)
    key = f"{row.id}@5"
    assert f'data-testid="work-reply-{key}"' in page
    assert "The platform did not answer; the reply was not sent." in page  # the reason in plain words
    assert "Cara Creator · YouTube @yt.creator" in page  # the client and account
    assert "Reply to @fan_q: “How long did this take?”" in page  # the comment
    assert "not listed yet" not in client.get("/admin/ops/work").get_data(as_text=True).lower()
    assert _ready(client) == 1

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(admin_id: int) -> None:
        with app.app_context():
            actor = db.session.get(User, admin_id)
            barrier.wait()
            try:
                failed_work.act(actor, "reply", key, "retry")
                outcomes.append("retried")
            except ServiceError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(a,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("retried") == 1, outcomes
    assert len(db.session.execute(select(WorkAction)).scalars().all()) == 1
    world.clear_calls()
    drain(app)
    db.session.expire_all()
    row = db.session.get(CommentReply, row.id)
    at_platform = [c for c in world.comments(account["id"]) if c["from_owner"] and c["text"] == text]
    assert len(at_platform) == 1  # exactly once at the platform
    assert (row.status, row.attempts, row.platform_reply_id) == ("sent", 6, at_platform[0]["id"])
    assert _inserts(world) == []  # the retry found it there and did not send again
    assert f'data-testid="work-reply-{key}"' not in client.get("/admin/ops/work").get_data(as_text=True)
    assert _ready(client) == 0
    again = client.post("/admin/ops/work", data={"kind": "reply", "key": key, "action": "retry"})
    assert "already retried this job" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_reply_whose_comment_is_gone_can_only_be_discarded_and_is_never_sent(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, account, media, ids = _setup(link, world, app, "youtube")
    assert _grant(client, world, "youtube", account["id"]).status_code in (302, 303)
    drain(app)
    question = db.session.execute(select(Comment).where(Comment.platform_id == ids["q"])).scalar_one()
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "Soon"}).status_code == 202
    # never picked up (Redis lost the job) for two hours, and the comment was deleted at the platform since
    db.session.execute(
        update(CommentReply).values(created_at=datetime.now(UTC) - timedelta(hours=2), status="sending", attempts=1)
    )
    db.session.execute(update(Comment).where(Comment.id == question.id).values(deleted_at_platform=datetime.now(UTC)))
    db.session.commit()
    row = db.session.execute(select(CommentReply)).scalar_one()
    key = f"{row.id}@1:stuck"
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")
    page = client.get("/admin/ops/work").get_data(as_text=True)
    assert f'data-testid="work-reply-{key}"' in page
    assert "Not sent after an hour (1 tries)" in page
    assert "The comment was deleted at the platform." in page
    assert ">Retry<" not in page.split(f'data-testid="work-reply-{key}"')[1].split("</tr>")[0]
    assert _ready(client) == 1

    refused = client.post("/admin/ops/work", data={"kind": "reply", "key": key, "action": "retry"})
    assert "It cannot be retried: The comment was deleted at the platform." in client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert db.session.execute(select(WorkAction)).first() is None
    done = client.post("/admin/ops/work", data={"kind": "reply", "key": key, "action": "discard"})
    assert "discarded" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert (row.status, row.error) == ("failed", failed_work.REPLY_DISCARDED)
    assert _ready(client) == 0
    world.clear_calls()
    assert replies.sweep() == 0  # the sweep does not pick a discarded reply up
    drain(app)
    assert _inserts(world) == []
