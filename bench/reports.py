"""Report timings on a PostgreSQL portfolio of 1,000 clients (3 connections each, 400 days of daily
snapshots, 100 posts per connection, 3 deliverables), generated server-side with generate_series.

1. Weekly report PDF: payload (``app/reports/build.weekly``) + xhtml2pdf render, one client, N runs.
2. Programme report with its chart: ``build.program`` + render, N runs; then again with the chart's
   SVG conversion cache (``app/reports/pdf_drawings``) emptied before each run, as in the first render
   of a chart in a process (RQ forks a work-horse per job).
3. Share card: the programme numbers (no chart) + the 1200x630 PNG drawn with Pillow, stored.
3b. The first weekly PDF of a process (``--first-runs`` fresh processes of each kind, interleaved): a new
   process builds the app and the numbers, then renders once, either as it is (``cold``: what every
   process paid before ``app/reports/warm.py``) or after the start-up warm-up a reports worker and a web
   process now run (``warmed``; the warm-up's own time is printed beside). Wall and CPU time, load average.
4. Weekly fan-out for all 1,000 clients (``--no-fanout`` skips it): ``service.weekly_fanout`` at a
   Monday morning, then the
   ``reports`` queue drained by 2 worker processes (one per core), each job computing the report's
   numbers and queueing its email with the link to the web report (outbox row + delivery job); PDFs
   are drawn by need (``app/reports/pdf_store.py``). Timed from the fan-out until every report is
   ready to open and every email queued. Emails are not sent (the default queue is not worked). Then
   the first and second PDF request of ``--runs`` sent reports (render + store, then read).

    .venv/bin/python bench/reports.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--runs 10] [--no-fanout]
        [--fanout-only] [--first-only] [--first-runs 10] [--name bench_reports]

Steps 1-3 run in a process that did the start-up warm-up first, as a worker or web process does now.

The fan-out also prints the workers' CPU and their PostgreSQL backends' CPU per report (the figure that
does not depend on what else the box is doing), and SQL statements and Redis commands per report.

Uses a private redis-server on a free port and the database ``bench_reports`` (``--name``); both, and the worker
processes, are stopped or dropped at the end, also on failure or Ctrl-C. Not part of pytest.
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cleanup import remove_folder, shielded, stop_on_signals  # noqa: E402

CLIENTS, PER_CLIENT, DAYS, POSTS_PER_CONN = 1000, 3, 400, 100


def server_db(url: str, db: str) -> str:
    return f"{url.rpartition('/')[0]}/{db}"


def recreate(server_url: str, name: str, create: bool = True) -> str:
    eng = create_engine(server_db(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return server_db(server_url, name)


def make_app(db_url: str, redis_url: str, instance: str) -> Any:
    from app import create_app

    return create_app(
        {
            "APP_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "r" * 64,
            "SQLALCHEMY_DATABASE_URI": db_url,
            "REDIS_URL": redis_url,
            "TOKEN_ENCRYPTION_KEYS": "k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
            "INSTANCE_PATH": instance,
            "PUBLIC_BASE_URL": "https://bench.local",
            "LOG_LEVEL": "WARNING",
            "WTF_CSRF_ENABLED": False,
        }
    )


SQL = {
    "users": """
        INSERT INTO users (email, name, role, password_hash, is_active, created_at, updated_at)
        SELECT 'coach' || g || '@bench.local', 'Coach ' || g, 'coach', 'x', true, now(), now()
          FROM generate_series(1, 20) g
        UNION ALL
        SELECT 'client' || g || '@bench.local', 'Client ' || g || ' Zoë 渡辺', 'client', 'x', true, now(), now()
          FROM generate_series(1, :clients) g""",
    "clients": """
        INSERT INTO clients (user_id, coach_id, display_name, program_start, status, time_zone, created_at, updated_at)
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
        SELECT c.id, p.name, p.name || '-' || c.id, p.name || '_' || c.id, 'connected', '', 0, now(), now(),
               now(), now()
        FROM clients c, (VALUES ('instagram'), ('tiktok'), ('youtube')) p(name)""",
    "daily_snapshots": f"""
        INSERT INTO daily_snapshots (connection_id, day, followers, provenance, synced_at)
        SELECT cn.id, current_date - d,
               greatest(0, (1000 + (cn.id * 37) % 50000) + ({DAYS} - d) * ((cn.id % 7) - 1) + ((cn.id * d) % 23)),
               'imported', now()
        FROM connections cn, generate_series(0, {DAYS - 1}) d""",
    "content_items": f"""
        INSERT INTO content_items (connection_id, platform_id, kind, caption, published_at, hashtags, views,
                                   likes, comments, shares, saves, extra_metrics, followers_at_measure, first_seen_at)
        SELECT cn.id, 'post-' || cn.id || '-' || k, (ARRAY['image','carousel','reel','video','short'])[1 + (k % 5)],
               'Post ' || k || ' #tag' || (k % 9) || ' =HYPERLINK("x")',
               now() - ((k * 4 + cn.id) % {DAYS}) * interval '1 day' - (k % 24) * interval '1 hour',
               json_build_array('tag' || (k % 9)), 100 + (k * 13) % 5000, 10 + (k * 7) % 400, (k * 3) % 40,
               k % 11, k % 13, '{{}}', 1000 + (cn.id * 37) % 50000, now()
        FROM connections cn, generate_series(1, {POSTS_PER_CONN}) k""",
}


def generate(app: Any, clients: int = CLIENTS) -> None:
    from app.extensions import db

    with app.app_context():
        t = time.perf_counter()
        for stmt in SQL.values():
            db.session.execute(text(stmt), {"clients": clients} if ":clients" in stmt else {})
            db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        counts = {
            t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
            for t in ("clients", "connections", "daily_snapshots", "content_items")
        }
        print(f"generated in {time.perf_counter() - t:.1f}s: {counts}")


def timings(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def timings_each(fn: Any, items: list[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        assert fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


def row(name: str, ms: list[float], target: float) -> str:
    p95 = sorted(ms)[max(0, round(0.95 * len(ms)) - 1)]
    verdict = "met" if p95 < target else "**missed**"
    return f"| {name} | {statistics.median(ms):.0f} | {p95:.0f} | {max(ms):.0f} | < {target:,.0f}: {verdict} |"


def work(db_url: str, redis_url: str, instance: str) -> None:
    """One worker process draining the reports queue; writes its CPU seconds and SQL statement count to
    ``instance/worker-<pid>`` (what a report costs, whatever else the box is doing)."""
    import resource

    from rq import SimpleWorker
    from sqlalchemy import event

    from app.extensions import db
    from app.queueing.queues import REPORTS, get_queue
    from app.redis_conn import get_redis

    app = make_app(db_url, redis_url, instance)
    statements = [0]
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            statements[0] += 1

        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()  # the worker's one connection
        db.session.commit()
        pg_before = backend_cpu(backend)
        before = resource.getrusage(resource.RUSAGE_SELF)
        SimpleWorker([get_queue(REPORTS)], connection=get_redis()).work(burst=True, logging_level="WARNING")
        after = resource.getrusage(resource.RUSAGE_SELF)
        pg = backend_cpu(backend) - pg_before
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    Path(instance, f"worker-{os.getpid()}").write_text(f"{cpu} {statements[0]} {pg}")


def backend_cpu(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend process on this machine (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_totals(instance: str) -> tuple[float, int, float]:
    """The workers' CPU seconds, SQL statements and their PostgreSQL backends' CPU seconds, summed."""
    cpu, stmts, pg = 0.0, 0, 0.0
    for f in Path(instance).glob("worker-*"):
        c, s, p = f.read_text().split()
        cpu, stmts, pg = cpu + float(c), stmts + int(s), pg + float(p)
    return cpu, stmts, pg


def redis_commands(redis_url: str) -> int:
    import redis as redis_lib

    return int(redis_lib.Redis.from_url(redis_url).info("stats")["total_commands_processed"])


def single_timings(app: Any, runs: int, clients: int = CLIENTS) -> None:
    """Steps 1-3: one client's weekly report, programme report and share card, ``runs`` times each."""
    from app.extensions import db
    from app.models import Client
    from app.models.base import utcnow
    from app.reports import build, pdf_drawings, service, share

    with app.app_context(), app.test_request_context():
        client = db.session.get(Client, min(500, clients))
        assert client is not None
        today = utcnow().date()
        print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {runs} runs each\n")
        print("| step | p50 ms | p95 ms | max ms | target ms |\n|---|---|---|---|---|")
        weekly = build.weekly(client, today - timedelta(days=1))
        print(
            row(
                "weekly payload (stats only)",
                timings(lambda: build.weekly(client, today - timedelta(days=1)), runs),
                1000,
            )
        )
        print(
            row(
                "weekly PDF render (payload given)",
                timings(lambda: service.render_report_pdf(weekly), runs),
                1000,
            )
        )
        print(
            row(
                "weekly report PDF (payload + render)",
                timings(lambda: service.render_report_pdf(build.weekly(client, today - timedelta(days=1))), runs),
                1000,
            )
        )
        print(
            row(
                "programme report with chart (payload + render)",
                timings(lambda: service.render_report_pdf(build.program(client, today, "Well done!")), runs),
                3000,
            )
        )

        def cold_chart() -> None:
            pdf_drawings.clear()  # as the first render of this chart in a process (an RQ job's work-horse)
            service.render_report_pdf(build.program(client, today, "Well done!"))

        print(row("programme report, chart conversion not cached", timings(cold_chart, runs), 3000))

        print(
            row(
                "share card PNG (payload + Pillow drawing)",
                timings(lambda: share.render_card(client.id, today), runs),
                3000,
            )
        )
        size = len(service.render_report_pdf(build.program(client, today, "Well done!")))
        print(f"\nprogramme PDF size: {size:,} bytes")


def first_render(db_url: str, redis_url: str, instance: str, warmed: bool, out: str, client_id: int) -> None:
    """In a fresh (spawned) process: the app, client ``client_id``'s weekly numbers, the warm-up if ``warmed``, then
    one timed render; writes wall and CPU ms of the warm-up and of the render to ``out``."""
    from app.extensions import db
    from app.models import Client
    from app.models.base import utcnow
    from app.reports import build, service, warm

    app = make_app(db_url, redis_url, instance)
    with app.app_context(), app.test_request_context():
        client = db.session.get(Client, client_id)
        assert client is not None
        payload = build.weekly(client, utcnow().date() - timedelta(days=1))
        wall, cpu = time.perf_counter(), time.process_time()
        if warmed:
            assert warm.warm(app).state == "warm", warm.state()
        warm_ms = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
        wall, cpu = time.perf_counter(), time.process_time()
        service.render_report_pdf(payload)
        render_ms = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    Path(out).write_text(f"{warm_ms[0]} {warm_ms[1]} {render_ms[0]} {render_ms[1]}")


def first_renders(db_url: str, redis_url: str, instance: str, runs: int, client_id: int) -> None:
    """Step 3b: ``runs`` fresh processes rendering cold and ``runs`` warmed, alternating."""
    ctx = multiprocessing.get_context("spawn")  # a new interpreter: nothing imported or loaded yet
    found: dict[bool, list[list[float]]] = {False: [], True: []}
    load = os.getloadavg()[0]
    for i in range(2 * runs):
        warmed = i % 2 == 1
        out = str(Path(instance, f"first-{i}"))
        proc = ctx.Process(target=first_render, args=(db_url, redis_url, instance, warmed, out, client_id))
        proc.start()
        proc.join()
        assert proc.exitcode == 0, f"first-render process {i} failed"
        found[warmed].append([float(v) for v in Path(out).read_text().split()])
    print(
        f"\nfirst weekly PDF of a fresh process, {runs} processes each, alternating; load average {load:.1f} "
        f"at the start, {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| first render of the process | p50 ms | p95 ms | max ms | target ms |\n|---|---|---|---|---|")
    print(row("cold (as before the warm-up): wall", [r[2] for r in found[False]], 1000))
    print(row("cold: CPU", [r[3] for r in found[False]], 1000))
    print(row("warmed at start: wall", [r[2] for r in found[True]], 1000))
    print(row("warmed at start: CPU", [r[3] for r in found[True]], 1000))
    print(row("the warm-up itself (at process start): wall", [r[0] for r in found[True]], 3000))
    print(row("the warm-up itself: CPU", [r[1] for r in found[True]], 3000))


def single_steps(app: Any, args: argparse.Namespace, db_url: str, redis_url: str, instance: str) -> None:
    """Step 3b (fresh processes), then steps 1-3 in this process after the start-up warm-up."""
    from app.reports import warm

    first_renders(db_url, redis_url, instance, args.first_runs or args.runs, min(500, args.clients))
    if args.first_only:
        return
    started = time.perf_counter()
    warm.warm(app)  # as a worker or web process does at start; steps 1-3 are then its later renders
    print(f"\nwarm-up of this process: {(time.perf_counter() - started) * 1000:.0f} ms ({warm.state().state})")
    single_timings(app, args.runs, args.clients)


def stop(procs: list[Any], redis: Any, instance: str, app: Any, server: str | None, name: str) -> None:
    """Stop what ``main`` started, in order: the worker processes, the redis-server, the folder, the database
    (when ``server`` is given); a second Ctrl-C waits until it is done."""
    with shielded():
        for p in procs:
            if p.pid is not None and p.is_alive():
                p.terminate()  # SIGTERM: rq's warm shutdown (the job at hand finishes)
        for p in procs:
            if p.pid is not None:
                p.join(10)
                if p.is_alive():
                    p.kill()
                    p.join()
        if redis is not None:
            redis.terminate()
            try:
                redis.wait(10)
            except subprocess.TimeoutExpired:
                redis.kill()
                redis.wait()
        remove_folder(instance)
        if app is not None:
            with app.app_context():
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
        if server is not None:
            recreate(server, name, create=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-fanout", action="store_true", help="time the single reports only (skip step 4)")
    ap.add_argument("--fanout-only", action="store_true", help="skip the single reports (steps 1-3)")
    ap.add_argument("--first-only", action="store_true", help="only the first render of fresh processes (3b)")
    ap.add_argument("--first-runs", type=int, default=None, help="fresh processes of each kind in 3b (--runs)")
    ap.add_argument("--name", default="bench_reports", help="the database to create (and drop) next to --url")
    ap.add_argument("--clients", type=int, default=CLIENTS, help="clients to generate (3 connections each)")
    args = ap.parse_args()
    stop_on_signals()
    from app.config import normalise_database_url

    server = normalise_database_url(args.url) or args.url
    instance = tempfile.mkdtemp(prefix="bench-reports-")
    port = free_port()
    redis: subprocess.Popen[bytes] | None = None
    app: Any = None
    created = False
    procs: list[Any] = []
    try:
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],  # noqa: S603,S607
            stdout=subprocess.DEVNULL,
        )
        redis_url = f"redis://127.0.0.1:{port}/0"
        db_url = recreate(server, args.name)
        created = True
        app = make_app(db_url, redis_url, instance)
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from app.extensions import db
        from app.models import OutboxEmail, Report, ReportFile
        from app.reports import service

        with app.app_context():
            upgrade()
        generate(app, args.clients)
        if not args.fanout_only:
            single_steps(app, args, db_url, redis_url, instance)
        if args.no_fanout or args.first_only:
            return

        with app.app_context():
            days_to_monday = (7 - datetime.now(UTC).weekday()) % 7 or 7
            monday = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
                days=days_to_monday
            )
            load = os.getloadavg()[0]
            commands = redis_commands(redis_url)
            t0 = time.perf_counter()
            queued = service.weekly_fanout(monday)
            t_fan = time.perf_counter() - t0
            ctx = multiprocessing.get_context("fork")
            procs.extend(ctx.Process(target=work, args=(db_url, redis_url, instance)) for _ in range(args.workers))
            db.session.remove()
            db.engine.dispose()
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            total = time.perf_counter() - t0
            commands = redis_commands(redis_url) - commands
            cpu, stmts, pg = worker_totals(instance)
            done = db.session.execute(select(func.count()).select_from(Report).where(Report.status == "done")).scalar()
            failed = db.session.execute(
                select(func.count()).select_from(Report).where(Report.status == "failed")
            ).scalar()
            emails = db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar()
            pdfs = db.session.execute(select(func.count()).select_from(ReportFile)).scalar()
            print(
                f"\nweekly fan-out: {queued} reports queued in {t_fan:.1f}s; {args.workers} workers: {done} done, "
                f"{failed} failed, {emails} emails queued, {pdfs} PDFs rendered ahead; ready to open after "
                f"{total:.0f}s ({total / 60:.1f} min, target < 2 min: "
                f"{'met' if total < 120 and done == args.clients else 'MISSED'}); "
                f"{total / max(done or 1, 1) * args.workers:.2f} s per report per worker; load average "
                f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
            )
            per = max(done or 1, 1)
            print(
                f"workers' CPU {cpu:.1f}s: {cpu / per * 1000:.0f} ms per report, their PostgreSQL backends' "
                f"{pg / per * 1000:.0f} ms (physical limit on {os.cpu_count()} cores: "
                f"{args.clients * (cpu + pg) / per / (os.cpu_count() or 1):.0f}s for {args.clients}); "
                f"{stmts / per:.1f} SQL statements and {commands / per:.1f} Redis commands per report "
                f"(the fan-out's and the workers' own included)"
            )
            # by need: the first PDF request renders and stores, the next is read from the database
            sample = db.session.execute(select(Report).order_by(Report.id).limit(args.runs)).scalars().all()
            with app.test_request_context():
                first = timings_each(service.pdf_bytes, sample)
                second = timings_each(service.pdf_bytes, sample)
            print("\n| PDF of a sent weekly report | p50 ms | p95 ms | max ms | target ms |\n|---|---|---|---|---|")
            print(row("first request (rendered from the stored numbers, stored)", first, 1000))
            print(row("second request (read from report_files)", second, 1000))
    finally:
        stop(procs, redis, instance, app, server if created else None, args.name)


if __name__ == "__main__":
    main()
