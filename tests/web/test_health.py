"""Health endpoints tell the truth (P3)."""

from __future__ import annotations


def test_healthz_needs_nothing(tmp_path):
    from app import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.db",
        }
    )
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_readyz_reports_each_store(make_app):
    ok = make_app().test_client().get("/readyz")
    assert ok.status_code == 200 and ok.json["checks"] == {"database": True, "redis": True}
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert down.status_code == 503 and down.json["checks"] == {"database": True, "redis": False}


def test_readyz_refuses_public_addresses(client):
    resp = client.get("/readyz", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert resp.status_code == 404
    assert "version" not in client.get("/healthz").get_data(as_text=True).lower()
