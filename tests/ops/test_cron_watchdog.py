"""A silent cron is an admin alert (raised by a real ``python worker.py``'s maintenance, once per
silence, emailed to every admin) and a failing check in /readyz; the operations page says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import OpsAlert, OutboxEmail
from app.models.base import utcnow
from app.services import heartbeat
from tests.chaos.support import kill_tree, start_worker, wait_for, worker_env


def _alerts() -> list[OpsAlert]:
    return list(db.session.execute(select(OpsAlert).where(OpsAlert.kind == "cron_silent")).scalars())


def test_a_worker_raises_one_alert_when_cron_is_silent_for_over_five_minutes(
    app: Any, client: Any, factory: Any, sandbox_url: str, tmp_path: Path
) -> None:
    admin = factory.admin(email="ops@example.com")
    factory.admin(email="ops2@example.com")
    heartbeat.beat(utcnow() - timedelta(minutes=4, seconds=50))  # silent, but not yet for 5 minutes
    log = tmp_path / "worker.log"
    env = worker_env(app, sandbox_url, RQ_WORKER_TTL="2", LOG_LEVEL="DEBUG")  # DEBUG: each maintenance is logged
    workers = [start_worker(env, log, queues=q) for q in ("default", "sync")]  # two workers notice it
    try:
        # maintenance runs every TTL/2 = 1 s: past the 5 minutes, the alert comes within seconds
        [alert] = wait_for(_alerts, 30, "the cron_silent alert", log)
        assert alert.created_at - utcnow() > timedelta(seconds=-30)
        tick = heartbeat.cron_state().last_tick
        assert tick is not None
        assert alert.dedup_key == f"cron_silent:{tick.isoformat()}"
        assert "the last heartbeat was 5 minutes ago" in alert.message
        rounds = log.read_text().count("cleaning registries")
        wait_for(lambda: log.read_text().count("cleaning registries") >= rounds + 4, 30, "maintenance rounds", log)
        assert len(_alerts()) == 1  # once per silence, however many rounds and workers notice it
        emails = db.session.execute(
            select(OutboxEmail.to_address).where(OutboxEmail.kind == "ops_alert").order_by(OutboxEmail.to_address)
        ).scalars()
        assert list(emails) == ["ops2@example.com", "ops@example.com"]
        # cron back: no new alert; a later silence is a new alert
        heartbeat.beat()
        rounds = log.read_text().count("cleaning registries")
        wait_for(lambda: log.read_text().count("cleaning registries") >= rounds + 3, 30, "maintenance rounds", log)
        assert len(_alerts()) == 1
    finally:
        for worker in workers:
            kill_tree(worker)
    ready = client.get("/readyz")
    assert ready.status_code == 200  # a web process serves without cron
    assert ready.json["status"] == "ready"
    heartbeat.beat(utcnow() - timedelta(minutes=6))
    stale = client.get("/readyz").json
    assert stale["status"] == "degraded"
    assert stale["background"]["cron"]["ok"] is False
    client.login(admin.email)
    page = client.get("/admin/ops/work").get_data(as_text=True)
    assert 'data-testid="cron-silent"' in page
    assert "The cron scheduler is silent" in page  # the alert, listed for admins
    assert db.session.execute(select(func.count()).select_from(OpsAlert)).scalar_one() == 1


def test_no_heartbeat_at_all_is_an_alert_only_once_the_watcher_has_been_up_five_minutes(app: Any, factory: Any) -> None:
    from app.services import ops_alerts

    factory.admin(email="ops@example.com")
    now = utcnow()
    assert heartbeat.cron_state(now).last_tick is None
    # a fresh deployment: the workers start a little before cron's first tick
    assert ops_alerts.check_cron(now, watching_since=now - timedelta(minutes=4)) is None
    alert = ops_alerts.check_cron(now, watching_since=now - timedelta(minutes=6))
    assert alert is not None
    assert alert.dedup_key == f"cron_silent:never:{now.date().isoformat()}"
    assert "no heartbeat has been recorded" in alert.message
    assert ops_alerts.check_cron(now, watching_since=now - timedelta(minutes=7)) is None  # once a day
