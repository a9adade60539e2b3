"""What an idle live page costs the server (issue "Pages people enjoy", live pages).

An open overview polls ``GET /live/<token>?v=<version>`` every 5 s. This measures that check while nothing
changed (the 204 every idle page gets), through the real WSGI app in-process (server time only, no
network): per-request time (p50 / p95 / p99 over ``--requests``), SQL statements per request (must be 0),
and, for scale, ``GET /healthz`` (the cheapest route) and a logged-in ``GET /portal/analytics`` on the same
app. Uses a temporary SQLite database and the embedded Redis, both removed at the end (also on failure).

    .venv/bin/python bench/live.py [--requests 5000]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _app(instance: str, redis_url: str) -> Any:
    from app import create_app

    return create_app(
        {
            "APP_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "b" * 64,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite3",
            "REDIS_URL": redis_url,
            "TOKEN_ENCRYPTION_KEYS": "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
            "INSTANCE_PATH": instance,
            "PUBLIC_BASE_URL": "https://bench.local",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": False,
        }
    )


def _time(client: Any, url: str, n: int, expect: int, statements: list[str]) -> dict[str, float]:
    times = []
    before = len(statements)
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(url, headers={"HX-Request": "true"})
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == expect, resp.status_code
    qs = statistics.quantiles(times, n=100)
    return {"p50": qs[49], "p95": qs[94], "p99": qs[98], "sql_per_request": (len(statements) - before) / n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    from app.redis_conn import start_embedded, stop_embedded
    from bench.cleanup import shielded, stop_on_signals

    stop_on_signals()

    with tempfile.TemporaryDirectory() as instance:
        try:
            app = _app(instance, start_embedded(str(Path(instance) / "redis")))
            with app.app_context():
                from datetime import date, timedelta

                from flask_migrate import upgrade

                from app.extensions import db
                from app.models import Connection, DailySnapshot, Role
                from app.services import accounts, live

                upgrade()
                user = accounts.create_user("c@example.com", "Cora", Role.CLIENT, "bench-password-123")
                client_id = user.client.id
                conn = Connection(client_id=client_id, platform="instagram", platform_user_id="1", username="cora")
                db.session.add(conn)
                db.session.flush()
                today = date.today()
                db.session.add_all(
                    DailySnapshot(connection_id=conn.id, day=today - timedelta(days=i), followers=1000 + i)
                    for i in range(365)
                )
                db.session.commit()
                token, version = live.token_for([client_id]), live.version([client_id])
                statements: list[str] = []
                event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
            http = app.test_client()
            results = {
                "live check (unchanged, 204)": _time(http, f"/live/{token}?v={version}", args.requests, 204, statements)
            }
            results["GET /healthz"] = _time(http, "/healthz", args.requests, 200, statements)
            http.post("/login", data={"email": "c@example.com", "password": "bench-password-123"})
            results["GET /portal/analytics (logged in)"] = _time(
                http, "/portal/analytics", max(50, args.requests // 50), 200, statements
            )
        finally:
            with shielded():
                stop_embedded()
    print(f"{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL/req':>8}")
    for name, r in results.items():
        print(f"{name:36} {r['p50']:8.3f} {r['p95']:8.3f} {r['p99']:8.3f} {r['sql_per_request']:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
