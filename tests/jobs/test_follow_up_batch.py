"""A sync's follow-up jobs sent together (``app.queueing.batch``): the same jobs, under the same ids, as
the one-at-a-time enqueues make, a known id never queued twice, the debounce kept; a real Redis."""

from __future__ import annotations

import time

from rq import SimpleWorker
from rq.job import Job, JobStatus

from app.queueing import dispatch, queues
from app.queueing.batch import Batch
from app.queueing.queues import DEFAULT, get_queue
from app.redis_conn import get_redis

#: what differs between two jobs made a moment apart
STAMPS = {b"created_at", b"enqueued_at"}


def _hash(job_id: str) -> dict[bytes, bytes]:
    raw = get_redis().hgetall(Job.key_for(job_id))
    assert raw, job_id
    return {k: v for k, v in raw.items() if k not in STAMPS}  # type: ignore[union-attr]


def test_a_batched_job_is_the_job_the_single_enqueue_makes(app):
    queue = get_queue(DEFAULT)
    queue.empty()
    assert dispatch.enqueue_alert_evaluation(7, "one")
    batch = Batch()
    assert dispatch.enqueue_alert_evaluation(7, "two", batch)
    assert dispatch.enqueue_thumbnails(7, "two", "succeeded", batch)
    assert not dispatch.enqueue_thumbnails(7, "three", "failed", batch)  # nothing to fetch: not asked
    assert batch.send() == 2
    assert queue.job_ids == ["alerts-7-one", "alerts-7-two", "thumbs-7-two"]
    assert _hash("alerts-7-one") == _hash("alerts-7-two")  # func, args, timeout, TTLs, retries, status, origin
    assert get_redis().sismember("rq:queues", queue.key)
    assert get_redis().ttl(Job.key_for("alerts-7-two")) == get_redis().ttl(Job.key_for("alerts-7-one"))


def test_a_known_id_is_not_queued_twice_and_counts_as_asked(app):
    queue = get_queue(DEFAULT)
    queue.empty()
    assert dispatch.enqueue_alert_evaluation(7, "run")
    before = get_redis().hgetall(Job.key_for("alerts-7-run"))
    batch = Batch()
    dispatch.enqueue_alert_evaluation(7, "run", batch)  # a re-run of the same sync job asks again
    dispatch.enqueue_alert_evaluation(7, "run", batch)
    assert batch.send() == 2  # a duplicate counts as queued, as queues.enqueue counts it
    assert queue.job_ids == ["alerts-7-run"]
    assert get_redis().hgetall(Job.key_for("alerts-7-run")) == before


def test_the_debounced_preparations_keep_their_window_job(app):
    app.config["PAGE_PREP_DELAY_SECONDS"] = 600
    registry = get_queue(DEFAULT).scheduled_job_registry
    window = int(time.time() // 600)
    assert dispatch.enqueue_client_pages(5)  # one at a time, as before
    batch = Batch()
    dispatch.enqueue_client_pages(6, batch)
    dispatch.enqueue_client_pages(5, batch)  # already scheduled in this window
    pipe = get_redis().pipeline(transaction=False)
    pipe.incr("caller:own")  # the caller's own command shares the round trip
    batch.check(pipe)
    assert batch.checked(pipe.execute()) == [1]
    assert batch.known == {f"pages-client-5-{window}"}
    assert batch.send() == 2
    assert sorted(registry.get_job_ids()) == [f"pages-client-5-{window}", f"pages-client-6-{window}"]
    assert get_redis().zscore(registry.key, f"pages-client-6-{window}") == (window + 1) * 600
    one, two = _hash(f"pages-client-5-{window}"), _hash(f"pages-client-6-{window}")
    assert one.pop(b"data") != two.pop(b"data")  # the client id differs ...
    one.pop(b"description"), two.pop(b"description")
    assert one == two  # ... nothing else: status scheduled, timeout, TTLs
    assert one[b"status"] == JobStatus.SCHEDULED.value.encode()
    again = Batch()  # unchecked: the schedule script still refuses a known id
    dispatch.enqueue_client_pages(6, again)
    assert again.send() == 1
    assert len(registry.get_job_ids()) == 2


def test_without_a_delay_each_preparation_is_its_own_job(app):
    app.config["PAGE_PREP_DELAY_SECONDS"] = 0
    queue = get_queue(DEFAULT)
    queue.empty()
    batch = Batch()
    dispatch.enqueue_client_pages(5, batch)
    dispatch.enqueue_client_pages(5, batch)
    assert batch.send() == 2
    assert len([j for j in queue.job_ids if j.startswith("pages-client-5-")]) == 2


def test_batched_jobs_run_on_a_worker(app):
    queue = get_queue(DEFAULT)
    queue.empty()
    batch = Batch()
    dispatch.enqueue_alert_evaluation(999_999, "run", batch)  # a connection that is gone: nothing to evaluate
    assert batch.send() == 1
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    job = Job.fetch("alerts-999999-run", connection=get_redis())
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == queues.default_retry().max


def test_redis_down_queues_nothing_and_says_so(app, caplog):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    batch = Batch()
    dispatch.enqueue_alert_evaluation(7, "run", batch)
    assert batch.send() == 0
    assert any(getattr(r, "event", None) == "follow_ups_not_queued" for r in caplog.records)
