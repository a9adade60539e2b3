"""Page timings on a large PostgreSQL portfolio: 1,000 clients x 3 connections x 2 years of daily
snapshots (2.19M rows) and 300,000 content items, generated server-side with INSERT ... SELECT
generate_series (seconds, not minutes).

Times, through the real app (test client, real PostgreSQL, embedded Redis), warm and cold chart cache:
the portal overview of one client, its growth chart partial, the admin portfolio (all 1,000 clients),
and a trivial page (GET /login) as the baseline. Counts SQL statements per request.

    .venv/bin/python bench/pages.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--runs 30]

Creates the database ``bench_pages`` next to the given server URL and drops it at the end
(``--keep`` keeps it for a re-run with ``--reuse``); the embedded redis-server it starts is stopped at the
end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLIENTS, PER_CLIENT, DAYS, POSTS = 1000, 3, 730, 300_000
PASSWORD = "bench-password-123"


def admin_url(url: str, db: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}"


def create_database(server_url: str, name: str) -> str:
    eng = create_engine(admin_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return admin_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    eng = create_engine(admin_url(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def make_app(db_url: str, instance: str) -> Any:
    from app import create_app

    return create_app(
        {
            "APP_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "b" * 64,
            "SQLALCHEMY_DATABASE_URI": db_url,
            "TOKEN_ENCRYPTION_KEYS": "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
            "INSTANCE_PATH": instance,
            "PUBLIC_BASE_URL": "https://bench.local",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": False,
        }
    )


def generate(app: Any) -> dict[str, float]:
    """Fill the database; returns seconds per step."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db

    pw = generate_password_hash(PASSWORD)
    steps: dict[str, float] = {}
    sql = {
        "users": f"""
            INSERT INTO users (email, name, role, password_hash, is_active, created_at, updated_at)
            SELECT 'admin@bench.local', 'Admin', 'admin', :pw, true, now(), now()
            UNION ALL SELECT 'coach' || g || '@bench.local', 'Coach ' || g, 'coach', :pw, true, now(), now()
              FROM generate_series(1, 20) g
            UNION ALL SELECT 'client' || g || '@bench.local', 'Client ' || g, 'client', :pw, true, now(), now()
              FROM generate_series(1, {CLIENTS}) g""",
        "clients": """
            INSERT INTO clients
              (user_id, coach_id, display_name, program_start, status, time_zone, created_at, updated_at)
            SELECT u.id, (SELECT id FROM users WHERE email = 'coach' || (1 + u.id % 20) || '@bench.local'),
                   u.name, current_date - (30 + u.id % 300), 'active', 'Europe/Berlin', now(), now()
            FROM users u WHERE u.role = 'client'""",
        "deliverables": """
            INSERT INTO deliverables (client_id, code, title, position, completed_at, created_at, updated_at)
            SELECT c.id, 'M' || k, 'Milestone ' || k, k,
                   CASE WHEN k < 3 THEN (c.program_start + 20 * k)::timestamp AT TIME ZONE 'UTC' END, now(), now()
            FROM clients c, generate_series(1, 3) k""",
        "connections": """
            INSERT INTO connections (client_id, platform, platform_user_id, username, status, scopes, token_version,
                                     last_sync_at, connected_at, created_at, updated_at)
            SELECT c.id, p.name, p.name || '-' || c.id, p.name || '_' || c.id,
                   CASE WHEN c.id % 97 = 0 THEN 'revoked' ELSE 'connected' END, '', 0, now(), now(), now(), now()
            FROM clients c, (VALUES ('instagram'), ('tiktok'), ('youtube')) p(name)""",
        "daily_snapshots": f"""
            INSERT INTO daily_snapshots (connection_id, day, followers, provenance, synced_at)
            SELECT cn.id, current_date - d,
                   greatest(0, (1000 + (cn.id * 37) % 50000) + ({DAYS} - d) * ((cn.id % 7) - 1)
                               + ((cn.id * d) % 23)), 'imported', now()
            FROM connections cn, generate_series(0, {DAYS - 1}) d""",
        "content_items": f"""
            INSERT INTO content_items (connection_id, platform_id, kind, caption, published_at, hashtags, views,
                                       likes, comments, shares, saves, extra_metrics, followers_at_measure,
                                       first_seen_at)
            SELECT cn.id, 'post-' || cn.id || '-' || k,
                   (ARRAY['image','carousel','reel','video','short'])[1 + (k % 5)],
                   'Post ' || k || ' #tag' || (k % 9), now() - ((k * 7 + cn.id) % {DAYS}) * interval '1 day'
                     - (k % 24) * interval '1 hour',
                   json_build_array('tag' || (k % 9)), 100 + (k * 13) % 5000, 10 + (k * 7) % 400, (k * 3) % 40,
                   k % 11, k % 13, '{{}}', 1000 + (cn.id * 37) % 50000, now()
            FROM connections cn, generate_series(1, {POSTS // (CLIENTS * PER_CLIENT)}) k""",
    }
    with app.app_context():
        # a bulk load: the daily totals' per-row triggers are off and the table is rebuilt once after
        db.session.execute(text("ALTER TABLE daily_snapshots DISABLE TRIGGER USER"))
        for name, stmt in sql.items():
            t = time.perf_counter()
            db.session.execute(text(stmt), {"pw": pw})
            db.session.commit()
            steps[name] = time.perf_counter() - t
        from app.stats import totals

        t = time.perf_counter()
        db.session.execute(text("ALTER TABLE daily_snapshots ENABLE TRIGGER USER"))
        totals.rebuild()
        db.session.commit()
        steps["portfolio_totals"] = time.perf_counter() - t
        t = time.perf_counter()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        steps["analyze"] = time.perf_counter() - t
        counts = {
            t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
            for t in ("clients", "connections", "daily_snapshots", "content_items")
        }
    print("rows:", counts)
    return steps


def timed(
    app: Any, client: Any, fn: Callable[[], Any], runs: int, cold: Callable[[], None] | None = None
) -> tuple[list[float], int, int]:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    times, statuses = [], set()
    try:
        fn()  # warm-up (imports, templates, first cache fill)
        for _ in range(runs):
            if cold:
                cold()
            counter["n"] = 0
            t = time.perf_counter()
            resp = fn()
            times.append((time.perf_counter() - t) * 1000)
            statuses.add(resp.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statuses == {200}, statuses
    return times, counter["n"], len(resp.get_data())


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--name", default="bench_pages")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only", default="", help="run only the pages whose name contains this text")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--audience", action="store_true", help="add the audience rows and pages (bench/pages_audience.py)")
    args = ap.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-pages-")
    from app.config import normalise_database_url

    server = normalise_database_url(args.url) or args.url
    db_url = admin_url(server, args.name) if args.reuse else create_database(server, args.name)
    app = make_app(db_url, instance)
    try:
        if not args.reuse:
            from flask_migrate import upgrade

            with app.app_context():
                upgrade()
            t = time.perf_counter()
            steps = generate(app)
            if args.audience:
                from bench import pages_audience

                steps.update(pages_audience.generate(app))
            print(f"generated in {time.perf_counter() - t:.1f}s:", {k: round(v, 1) for k, v in steps.items()})
        from app.redis_conn import get_redis

        def flush() -> None:
            with app.app_context():
                r = get_redis()
                for key in r.scan_iter("chart:*"):
                    r.delete(key)

        def flush_all() -> None:
            """Charts and the portfolio result cache: the first request after a sync."""
            flush()
            with app.app_context():
                r = get_redis()
                for key in r.scan_iter("portfolio:*"):
                    r.delete(key)

        import gc

        gc.freeze()  # as wsgi.py does once the app is built (a serving process)
        client_c, admin_c, coach_c = app.test_client(), app.test_client(), app.test_client()
        client_c.post("/login", data={"email": "client500@bench.local", "password": PASSWORD})
        admin_c.post("/login", data={"email": "admin@bench.local", "password": PASSWORD})
        coach_c.post("/login", data={"email": "coach1@bench.local", "password": PASSWORD})
        hx = {"HX-Request": "true", "HX-Target": "growth-chart"}
        cases: list[tuple[str, Callable[[], Any], Callable[[], None] | None]] = [
            ("baseline GET /login (anonymous)", lambda: app.test_client().get("/login"), None),
            ("portal overview 30d", lambda: client_c.get("/portal/analytics?range=30d"), None),
            ("portal overview 30d, cold chart cache", lambda: client_c.get("/portal/analytics?range=30d"), flush),
            ("growth chart partial 90d", lambda: client_c.get("/portal/analytics?range=90d", headers=hx), None),
            (
                "growth chart partial 90d, cold cache",
                lambda: client_c.get("/portal/analytics?range=90d", headers=hx),
                flush,
            ),
            ("portfolio 30d (admin, 1,000 clients)", lambda: admin_c.get("/admin/portfolio?range=30d"), None),
            ("portfolio 30d, cold chart cache", lambda: admin_c.get("/admin/portfolio?range=30d"), flush),
            (
                "portfolio 30d, uncached (no result, no chart cache)",
                lambda: admin_c.get("/admin/portfolio?range=30d"),
                flush_all,
            ),
            ("portfolio all time (730 days), uncached", lambda: admin_c.get("/admin/portfolio?range=all"), flush_all),
            (
                "portfolio 30d, one coach's 50 clients, uncached",
                lambda: coach_c.get("/admin/portfolio?range=30d"),
                flush_all,
            ),
            ("impact (admin, 1,000 clients; not cached)", lambda: admin_c.get("/admin/impact"), None),
        ]
        if args.audience:
            from bench import pages_audience

            cases += pages_audience.cases(app, client_c, "client500@bench.local", flush)
        cases = [c for c in cases if args.only in c[0]]
        print("\n| page | p50 ms | p95 ms | max ms | queries | bytes |\n|---|---|---|---|---|---|")
        for name, fn, cold in cases:
            times, queries, size = timed(app, client_c, fn, args.runs, cold)
            print(
                f"| {name} | {statistics.median(times):.1f} | {p95(times):.1f} | {max(times):.1f} | "
                f"{queries} | {size:,} |"
            )
        if args.audience:
            pages_audience.section_timings(app, "client500@bench.local", args.runs)
    finally:
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        from app.redis_conn import stop_embedded

        stop_embedded()  # the app started a private redis-server on first use (no REDIS_URL)
        if not args.keep:
            drop_database(server, args.name)


if __name__ == "__main__":
    main()
