"""The fans views the pages open with are built by a worker after a sync (bench/README.md, "fans"): the
first reader after a sync reads the cached answer (no grouped read of the comments), and the answer is
the one a cold read builds."""

from __future__ import annotations

from typing import Any

from rq import SimpleWorker
from sqlalchemy import event

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.queueing.queues import get_queue
from app.redis_conn import get_redis
from app.services import fans, live
from app.stats import query as stats_query
from tests.fans.test_fans import _world
from tests.support import history


def _comment_reads(app: Any, fn: Any) -> tuple[Any, int]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        if "FROM comments" in args[2]:
            seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        return fn(), len(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_warm_builds_the_opening_views_and_readers_read_them(app, client, factory):
    creator = _world(factory)["creator"]
    history.connection(creator, "tiktok")  # no comments read on TikTok: no view of its own
    live.bump([creator.id])  # what a sync does
    cold_api = fans._build(creator, stats_query.parse({}, tz=creator.time_zone), 50)
    views = fans.opening_views(creator)
    assert [(q.platform, limit) for q, limit in views] == [
        (None, 50),
        ("instagram", 10),
        ("instagram", 50),
        ("youtube", 10),
        ("youtube", 50),
    ]
    assert fans.warm(creator) == 5
    client.login("creator@example.com")
    answer, reads = _comment_reads(app, lambda: client.get("/api/portal/social/fans").get_json())
    assert reads == 0  # served from the warmed cache
    assert answer == cold_api
    page, reads = _comment_reads(app, lambda: client.get("/portal/analytics/instagram"))
    assert page.status_code == 200
    assert reads == 0  # the platform page's fans section too (its tactics read posts, not comments)
    live.bump([creator.id])  # the next sync: the old answers no longer apply
    _, reads = _comment_reads(app, lambda: client.get("/api/portal/social/fans").get_json())
    assert reads > 0


def test_a_sync_of_a_platform_with_comments_queues_the_warmup(app, factory):
    w = _world(factory)
    creator, ig = w["creator"], w["ig"]
    tt = history.connection(creator, "tiktok")
    queue = get_queue("default")
    queue.empty()
    sync_jobs._warm_fans(tt.id, "succeeded")
    assert queue.job_ids == []
    sync_jobs._warm_fans(ig.id, "failed")
    assert queue.job_ids == []
    sync_jobs._warm_fans(ig.id, "succeeded")
    sync_jobs._warm_fans(ig.id, "partial")  # the same version: one job
    assert queue.job_ids == [f"fans-warm-{creator.id}-{live.version([creator.id])}"]
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    q = stats_query.parse({}, tz=creator.time_zone)
    _, reads = _comment_reads(app, lambda: fans.fans_json(creator, q, 50))
    assert reads == 0
