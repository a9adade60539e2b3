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

from bench.cleanup import remove_folder, shielded, stop_on_signals  # noqa: E402

PER_CLIENT, DAYS, POSTS_PER_CONNECTION = 3, 730, 100
CLIENTS_PER_COACH = 50
PASSWORD = "bench-password-123"
CLIENT_EMAIL = "client500@bench.local"  # the client whose pages are timed (the first of them with fewer clients)


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


TOKEN_KEYS = "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()


def make_app(db_url: str, instance: str, **overrides: Any) -> Any:
    from app import create_app

    return create_app(
        {
            **overrides,
            "APP_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "b" * 64,
            "SQLALCHEMY_DATABASE_URI": db_url,
            "TOKEN_ENCRYPTION_KEYS": TOKEN_KEYS,
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
            "INSTANCE_PATH": instance,
            "PUBLIC_BASE_URL": "https://bench.local",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": False,
        }
    )


def generate(app: Any, clients: int, days: int = DAYS) -> dict[str, float]:
    """Fill the database with ``clients`` clients (a coach per 50) x 3 connections x ``days`` daily snapshots
    and 100 posts per connection, all server-side; returns seconds per step. The snapshots are loaded
    without their secondary index, which is built once afterwards (faster than maintaining it per row)."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db

    pw = generate_password_hash(PASSWORD)
    steps: dict[str, float] = {}
    sql = {
        "users": """
            INSERT INTO users (email, name, role, password_hash, is_active, created_at, updated_at)
            SELECT 'admin@bench.local', 'Admin', 'admin', :pw, true, now(), now()
            UNION ALL SELECT 'coach' || g || '@bench.local', 'Coach ' || g, 'coach', :pw, true, now(), now()
              FROM generate_series(1, :coaches) g
            UNION ALL SELECT 'client' || g || '@bench.local', 'Client ' || g, 'client', :pw, true, now(), now()
              FROM generate_series(1, :clients) g""",
        "clients": """
            INSERT INTO clients
              (user_id, coach_id, display_name, program_start, status, time_zone, created_at, updated_at)
            SELECT u.id, (SELECT id FROM users WHERE email = 'coach' || (1 + u.id % :coaches) || '@bench.local'),
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
                   greatest(0, (1000 + (cn.id * 37) % 50000) + ({days} - d) * ((cn.id % 7) - 1)
                               + ((cn.id * d) % 23)), 'imported', now()
            FROM connections cn, generate_series(0, {days - 1}) d""",
        "content_items": f"""
            INSERT INTO content_items (connection_id, platform_id, kind, caption, published_at, hashtags, views,
                                       likes, comments, shares, saves, extra_metrics, followers_at_measure,
                                       first_seen_at)
            SELECT cn.id, 'post-' || cn.id || '-' || k,
                   (ARRAY['image','carousel','reel','video','short'])[1 + (k % 5)],
                   'Post ' || k || ' #tag' || (k % 9), now() - ((k * 7 + cn.id) % {days}) * interval '1 day'
                     - (k % 24) * interval '1 hour',
                   json_build_array('tag' || (k % 9)), 100 + (k * 13) % 5000, 10 + (k * 7) % 400, (k * 3) % 40,
                   k % 11, k % 13, '{{}}', 1000 + (cn.id * 37) % 50000, now()
            FROM connections cn, generate_series(1, {POSTS_PER_CONNECTION}) k""",
    }
    with app.app_context():
        # a bulk load: the daily totals' per-row triggers are off and the table is rebuilt once after
        db.session.execute(text("ALTER TABLE daily_snapshots DISABLE TRIGGER USER"))
        # secondary indexes (not those behind a constraint) are built once after the load
        indexes = db.session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename IN ('daily_snapshots', 'content_items')"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
        ).all()
        for index_name, _ in indexes:
            db.session.execute(text(f'DROP INDEX "{index_name}"'))
        db.session.commit()
        for name, stmt in sql.items():
            t = time.perf_counter()
            db.session.execute(
                text(stmt), {"pw": pw, "clients": clients, "coaches": max(1, clients // CLIENTS_PER_COACH)}
            )
            db.session.commit()
            steps[name] = time.perf_counter() - t
        from app.stats import totals

        t = time.perf_counter()
        for _, index_def in indexes:
            db.session.execute(text(index_def))
        db.session.commit()
        steps["indexes"] = time.perf_counter() - t
        t = time.perf_counter()
        db.session.execute(text("ALTER TABLE daily_snapshots ENABLE TRIGGER USER"))
        totals.rebuild()
        db.session.commit()
        steps["portfolio_totals"] = time.perf_counter() - t
        t = time.perf_counter()
        steps["portfolio_rows"] = fill_portfolio_rows(app)
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


def fill_portfolio_rows(app: Any) -> float:
    """The prepared portfolio rows (``app.stats.portfolio_state``) for today, as the daily syncs and the
    midnight refresh leave them (a bulk load disables the triggers, so every row starts stale); seconds."""
    from app.stats import portfolio_state

    with app.app_context():
        t = time.perf_counter()
        n = portfolio_state.refresh_stale()
        took = time.perf_counter() - t
    print(f"portfolio rows prepared: {n} in {took:.1f}s")
    return took


def timed(
    app: Any, client: Any, fn: Callable[[], Any], runs: int, cold: Callable[[], None] | None = None
) -> tuple[list[float], int, int, list[float]]:
    """Wall ms per request, queries of the last one, its size, and this process's CPU ms per request (the
    app's own work, threads included: steadier than wall time on a shared box, SQL excluded)."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_: Any) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    times, cpu, statuses = [], [], set()
    try:
        fn()  # warm-up (imports, templates, first cache fill)
        for _ in range(runs):
            if cold:
                cold()
            counter["n"] = 0
            t, c = time.perf_counter(), time.process_time()
            resp = fn()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            statuses.add(resp.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statuses == {200}, statuses
    return times, counter["n"], len(resp.get_data()), cpu


def peak_rss_mb(field: str = "VmHWM") -> float:
    """This process's own peak RSS (``VmHWM``: ru_maxrss would carry a spawning parent's peak over exec);
    ``field="VmRSS"``: its RSS now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> bool:
    """Start this process's peak RSS again from its RSS now (Linux 4.0+: ``5`` to ``/proc/self/clear_refs``),
    so the peak reported is the serving's, not the generation's; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def simulate_sync(app: Any, client_id: int) -> int:
    """What a daily sync of one client writes that the pages' cache versions see: today's snapshot of
    each connection (one follower more) and ``last_sync_at`` (the triggers mark the connections' prepared
    portfolio rows stale; the portfolio preparation refreshes them); returns one of its connection ids."""
    from app.extensions import db

    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO daily_snapshots (connection_id, day, followers, provenance, synced_at)"
                " SELECT id, current_date, 2000, 'measured', now() FROM connections WHERE client_id = :c"
                " ON CONFLICT (connection_id, day) DO UPDATE SET followers = daily_snapshots.followers + 1,"
                " synced_at = now()"
            ),
            {"c": client_id},
        )
        conn_ids = list(
            db.session.execute(
                text("UPDATE connections SET last_sync_at = now() WHERE client_id = :c RETURNING id"), {"c": client_id}
            ).scalars()
        )
        db.session.commit()
    return int(conn_ids[0])


def prepare_worker(db_url: str, instance: str, redis_url: str, out: Any) -> None:
    """A real RQ worker in its own (spawned) process: drains the default queue (the page preparations
    a sync asked for), then reports its jobs' durations and its peak RSS."""

    from rq import SimpleWorker
    from rq.job import Job

    from app.queueing.queues import DEFAULT, get_queue
    from app.redis_conn import get_redis

    app = make_app(db_url, instance, REDIS_URL=redis_url)
    with app.app_context():
        ids = get_queue(DEFAULT).get_job_ids()
        SimpleWorker([get_queue(DEFAULT)], connection=get_redis()).work(burst=True, logging_level="WARNING")
        ms = []
        for job_id in ids:
            job = Job.fetch(job_id, connection=get_redis())
            if job.started_at and job.ended_at:
                ms.append((job.ended_at - job.started_at).total_seconds() * 1000)
    out.put((ms, peak_rss_mb()))


def after_sync(app: Any, db_url: str, instance: str, redis_url: str, runs: int, logins: dict[str, Any]) -> None:
    """First view after a sync, interleaved: without preparation (the request renders the charts and
    computes the portfolio) and with it (a worker process prepared them after the sync)."""
    import multiprocessing

    from app.extensions import db
    from app.services import page_prep

    with app.app_context():
        client_id = db.session.execute(
            text("SELECT c.id FROM clients c JOIN users u ON u.id = c.user_id WHERE u.email = :e"), {"e": CLIENT_EMAIL}
        ).scalar_one()
    pages = {
        "client overview (default range)": lambda: logins["client"].get("/portal/analytics"),
        "client's Instagram page (default range)": lambda: logins["client"].get("/portal/analytics/instagram"),
        "coach's client page (90 days)": lambda: logins["coach"].get(f"/admin/clients/{client_id}"),
        "coach's portfolio (50 clients)": lambda: logins["coach"].get("/admin/portfolio"),
        "admin portfolio (all clients)": lambda: logins["admin"].get("/admin/portfolio"),
    }
    times: dict[tuple[str, bool], list[float]] = {(k, p): [] for k in pages for p in (False, True)}
    prep_ms: list[float] = []
    worker_rss = 0.0
    ctx = multiprocessing.get_context("spawn")
    for _ in range(runs):
        for prepared in (False, True):
            conn_id = simulate_sync(app, client_id)
            if prepared:
                with app.app_context():
                    page_prep.after_sync(conn_id)
                out = ctx.Queue()
                proc = ctx.Process(target=prepare_worker, args=(db_url, instance, redis_url, out))
                proc.start()
                try:
                    ms, rss = out.get(timeout=600)
                except BaseException:
                    proc.kill()  # interrupted or failed: the worker goes now, not after its jobs
                    raise
                finally:
                    proc.join(60)
                    if proc.is_alive():
                        proc.kill()
                        proc.join()
                prep_ms.extend(ms)
                worker_rss = max(worker_rss, rss)
            for name, fn in pages.items():
                t = time.perf_counter()
                resp = fn()
                times[(name, prepared)].append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (name, resp.status_code)
    print("\n| first view after a sync | without preparation p50 / p95 ms | prepared by the worker p50 / p95 ms |")
    print("|---|---|---|")
    for name in pages:
        a, b = times[(name, False)], times[(name, True)]
        print(f"| {name} | {statistics.median(a):.1f} / {p95(a):.1f} | {statistics.median(b):.1f} / {p95(b):.1f} |")
    if prep_ms:
        print(
            f"preparation jobs: {len(prep_ms)}, p50 {statistics.median(prep_ms):.0f} ms, max {max(prep_ms):.0f} ms; "
            f"peak RSS of the preparing worker process: {worker_rss:.0f} MB"
        )


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def pick_client(clients: int, reuse: bool) -> None:
    """client500 (as before), or client1 when fewer than 500 clients are generated."""
    global CLIENT_EMAIL
    if clients < 500 and not reuse:
        CLIENT_EMAIL = "client1@bench.local"


def clean_up(app: Any, instance: str, server: str, drop: str | None) -> None:
    """Close the app's database connections, stop the embedded redis-server (the one ``main`` started, or one
    the app started on first use), remove the folder, drop the database ``drop``; a second Ctrl-C waits."""
    from app.redis_conn import stop_embedded

    with shielded():
        if app is not None:
            with app.app_context():
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
        stop_embedded()
        remove_folder(instance)
        if drop:
            drop_database(server, drop)


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
    ap.add_argument("--skip", default="", help="leave out the pages whose name contains this text")
    ap.add_argument("--clients", type=int, default=1000, help="clients to generate (3 connections each; up to 10,000)")
    ap.add_argument("--days", type=int, default=DAYS, help="days of daily snapshots per connection")
    ap.add_argument(
        "--after-sync", type=int, default=0, metavar="N", help="also time the first views after N simulated syncs"
    )
    ap.add_argument("--audience", action="store_true", help="add the audience rows and pages (bench/pages_audience.py)")
    args = ap.parse_args()
    stop_on_signals()
    pick_client(args.clients, args.reuse)
    instance = tempfile.mkdtemp(prefix="bench-pages-")
    from app.config import normalise_database_url

    server = normalise_database_url(args.url) or args.url
    from app.redis_conn import start_embedded

    app = None
    try:
        db_url = admin_url(server, args.name) if args.reuse else create_database(server, args.name)
        redis_url = start_embedded(instance)  # stopped in ``finally``; a spawned worker process joins it
        app = make_app(
            db_url, instance, REDIS_URL=redis_url, PAGE_PREP_DELAY_SECONDS=0, PAGE_PREP_PORTFOLIO_DELAY_SECONDS=0
        )
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()  # a kept database from before a migration gets it (issue 21: the prepared portfolio rows)
        if args.reuse:
            fill_portfolio_rows(app)  # rows a new day (or the migration) left stale
        else:
            t = time.perf_counter()
            steps = generate(app, args.clients, args.days)
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
        client_c.post("/login", data={"email": CLIENT_EMAIL, "password": PASSWORD})
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
            (
                "portfolio 30d (admin, all clients), result cached",
                lambda: admin_c.get("/admin/portfolio?range=30d"),
                None,
            ),
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
            ("impact (admin, all clients; not cached)", lambda: admin_c.get("/admin/impact"), None),
        ]
        if args.audience:
            from bench import pages_audience

            cases += pages_audience.cases(app, client_c, CLIENT_EMAIL, flush)
        cases = [c for c in cases if args.only in c[0] and not (args.skip and args.skip in c[0])]
        # the web process's peak RSS counts from here: serving pages, not generating the data (issue 21)
        reset = reset_peak_rss()
        print(
            f"\nRSS of this process (the web side) before the first page: {peak_rss_mb('VmRSS'):.0f} MB"
            f"{'' if reset else ' (peak not reset: the peak below includes the generation)'}"
        )
        print(
            "\n| page | p50 ms | p95 ms | max ms | queries | bytes | app CPU p50 ms | peak RSS MB so far |"
            "\n|---|---|---|---|---|---|---|---|"
        )
        for name, fn, cold in cases:
            times, queries, size, cpu = timed(app, client_c, fn, args.runs, cold)
            print(
                f"| {name} | {statistics.median(times):.1f} | {p95(times):.1f} | {max(times):.1f} | "
                f"{queries} | {size:,} | {statistics.median(cpu):.1f} | {peak_rss_mb():.0f} |"
            )
        if args.audience:
            pages_audience.section_timings(app, CLIENT_EMAIL, args.runs)
        if args.after_sync:
            from app.extensions import db

            with app.app_context():
                coach_email = db.session.execute(
                    text(
                        "SELECT co.email FROM users co JOIN clients c ON c.coach_id = co.id"
                        " JOIN users u ON u.id = c.user_id WHERE u.email = :e"
                    ),
                    {"e": CLIENT_EMAIL},
                ).scalar_one()
            own_coach = app.test_client()
            own_coach.post("/login", data={"email": coach_email, "password": PASSWORD})
            logins = {"client": client_c, "coach": own_coach, "admin": admin_c}
            after_sync(app, db_url, instance, redis_url, args.after_sync, logins)
        print(
            f"peak RSS of this process (the web side, serving every page above"
            f"{'' if reset else ' and the generation'}): {peak_rss_mb():.0f} MB"
        )
    finally:
        clean_up(app, instance, server, None if args.keep else args.name)


if __name__ == "__main__":
    main()
