"""Health endpoints tell the truth (P3)."""

from __future__ import annotations


def test_healthz_needs_nothing(tmp_path):
    from app import create_app

    app = create_app(
        {
            "APP_ENV": "development",
            "INSTANCE_PATH": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.db",
        }
    )
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok"}


def test_readyz_reports_each_store(make_app):
    from app.jobs.system import cron_heartbeat

    app = make_app()
    with app.app_context():
        cron_heartbeat()
    ok = app.test_client().get("/readyz")
    assert ok.status_code == 200
    assert ok.json["checks"] == {"database": True, "redis": True}
    assert ok.json["status"] == "ready"
    assert ok.json["background"]["cron"]["ok"] is True
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert down.status_code == 503
    assert down.json["checks"] == {"database": True, "redis": False}


def test_readyz_refuses_public_addresses(client):
    resp = client.get("/readyz", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert resp.status_code == 404
    assert "version" not in client.get("/healthz").get_data(as_text=True).lower()


def test_readyz_says_when_the_cron_heartbeat_stopped(make_app):
    """The web can serve without cron (200), but a stopped cron is said, not only logged."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    from app.jobs.system import cron_heartbeat

    app = make_app()
    never = app.test_client().get("/readyz")
    assert never.status_code == 200
    assert never.json["status"] == "degraded"
    assert never.json["background"]["cron"] == {"ok": False, "last_tick": None}
    with app.app_context(), time_machine.travel(datetime.now(UTC) - timedelta(minutes=10)):
        cron_heartbeat()
    stale = app.test_client().get("/readyz")
    assert stale.json["status"] == "degraded"
    assert stale.json["background"]["cron"]["ok"] is False
    assert stale.json["background"]["cron"]["last_tick"] is not None
