"""A sync job's follow-ups (``app/jobs/sync.py``), sent to Redis together: every job it asked for one at a
time is there, under the same id, once; the live version moves; a worker runs them."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.jobs import sync as sync_jobs
from app.models import Client, Connection
from app.models.sync import SyncRun
from app.queueing.queues import DEFAULT, SYNC, get_queue
from app.services import live
from tests.sync.conftest import drain


def _coach_id() -> int:
    return int(db.session.execute(select(Client.coach_id)).scalar_one())


def test_a_sync_queues_each_follow_up_once(app, link):
    app.config["PAGE_PREP_DELAY_SECONDS"] = 600
    app.config["PAGE_PREP_PORTFOLIO_DELAY_SECONDS"] = 600
    conn_id, _ = link("instagram")
    get_queue(SYNC).empty()  # the connect's initial sync runs here, in the test's own process
    default = get_queue(DEFAULT)
    default.empty()  # the connect's webhook subscription: not what is watched here
    client_id = db.session.get(Connection, conn_id).client_id
    before = live.version([client_id])

    assert sync_jobs.sync_connection(conn_id, "initial") == "succeeded"

    run_id = db.session.execute(select(SyncRun.id).where(SyncRun.connection_id == conn_id)).scalar_one()
    version = live.version([client_id])
    assert version != before
    assert sorted(default.job_ids) == sorted(
        [f"alerts-{conn_id}-{run_id}", f"thumbs-{conn_id}-{run_id}", f"fans-warm-{client_id}-{version}"]
    )
    scheduled = sorted(j.rsplit("-", 1)[0] for j in default.scheduled_job_registry.get_job_ids())
    assert scheduled == sorted([f"pages-client-{client_id}", f"pages-portfolio-{_coach_id()}"])

    # the same run's follow-ups asked again (a re-run of the job after a crash): nothing doubled
    conn = db.session.get(Connection, conn_id)
    sync_jobs._follow_ups(conn_id, conn, str(run_id), "succeeded")
    assert default.job_ids.count(f"alerts-{conn_id}-{run_id}") == 1
    assert default.job_ids.count(f"thumbs-{conn_id}-{run_id}") == 1
    assert len(default.scheduled_job_registry.get_job_ids()) == 2  # same window, same jobs

    drain(app)  # a real worker runs what was queued
    assert default.job_ids == []
    assert default.failed_job_registry.get_job_ids() == []
    assert default.finished_job_registry.get_job_ids()  # run, not dropped


def test_a_failed_sync_asks_for_its_evaluation_only(app, link, world):
    conn_id, account = link("instagram")
    get_queue(SYNC).empty()
    default = get_queue(DEFAULT)
    default.empty()
    world.revoke(account["id"])  # the person removed the app: Meta says so outright
    client_id = db.session.get(Connection, conn_id).client_id
    before = live.version([client_id])

    assert sync_jobs.sync_connection(conn_id, "initial") == "failed"

    run_id = db.session.execute(select(SyncRun.id).where(SyncRun.connection_id == conn_id)).scalar_one()
    asked = [j for j in default.job_ids if not j.startswith("email-")]  # the lost grant's alert emails aside
    assert asked == [f"alerts-{conn_id}-{run_id}"]  # no thumbnails, pages or fans: nothing saved
    assert default.scheduled_job_registry.get_job_ids() == []
    assert live.version([client_id]) != before  # the pages still learn of the run (the card's state moved)
