"""Profile syncs in one process (no RQ): where a sync's wall and CPU time go.

    .venv/bin/python bench/sync_profile.py --connections 30 [--latency-ms 100] [--out /tmp/sync.prof]
    .venv/bin/python bench/sync_profile.py --connections 60 --phase initial --job --no-profile

Same set-up as ``bench/sync.py`` (``bench_sync_profile`` database, embedded Redis, the sandbox in its own
process, N connections through the OAuth round trip, ``--platforms`` in turn); then either the initial
syncs (``--phase initial``, at ``--initial-latency-ms``, 0 by default: the bench's CPU-bound phase) or,
after the initial syncs run untimed at 0 ms, the daily syncs (``--phase daily``, at ``--latency-ms``) are
timed, under cProfile unless ``--no-profile``. ``--job`` runs the worker's job body
(``app.jobs.sync.sync_connection``: the engine plus the live bump, the budget check and the follow-up
enqueues) instead of the engine alone. Prints wall and CPU per sync, SQL statements and Redis round trips
(this process's, a pipeline counts once) per sync and the top
functions by cumulative time (``--sort tottime`` for own time); the raw profile is written to ``--out``.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync import (  # noqa: E402
    PLATFORMS,
    REDIRECT_BASE,
    SANDBOX_SCRIPT,
    free_port,
    recreate_database,
    setup_world,
    stop_all,
    wait_http,
)


def _backends() -> list[Any]:
    """The PostgreSQL server processes of this database's connections (the pool the syncs use)."""
    import psutil
    from sqlalchemy import text

    from app.extensions import db

    pids = db.session.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
    db.session.commit()
    out = []
    for pid in pids:
        try:
            out.append(psutil.Process(pid))
        except psutil.Error:
            continue
    return out


def _cpu(procs: list[Any]) -> float:
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except Exception:  # noqa: BLE001, S112 - a backend that ended adds nothing more
            continue
        total += t.user + t.system
    return total


class _RoundTrips:
    """Counts this process's Redis round trips (one packed send each: a command, or a whole pipeline)."""

    def __init__(self) -> None:
        import redis.connection

        self.count = 0
        self._cls = redis.connection.AbstractConnection
        self._orig = self._cls.send_packed_command
        orig, counter = self._orig, self

        def send_packed_command(conn: Any, command: Any, check_health: bool = True) -> Any:
            counter.count += 1
            return orig(conn, command, check_health)

        self._cls.send_packed_command = send_packed_command  # type: ignore[method-assign]

    def pop(self) -> int:
        self._cls.send_packed_command = self._orig  # type: ignore[method-assign]
        return self.count


def _count_redis_round_trips() -> _RoundTrips:
    return _RoundTrips()


PORTFOLIO_TRIGGERS = [
    (f"portfolio_state_{short}_{op}", table)
    for short, table in (("snapshot", "daily_snapshots"), ("post", "content_items"))
    for op in ("insert", "update", "delete")
]


def measure(
    args: argparse.Namespace, sandbox: str, ids: list[int], run: Callable[[int, str], None], trigger: str
) -> None:
    """Time (and profile unless ``--no-profile``) ``run`` over ``ids``; print the figures per sync."""
    from sqlalchemy import event

    from app.extensions import db

    requests.delete(f"{sandbox}/_sandbox/calls", timeout=10)
    statements = [0]

    def count(*_a: object, **_k: object) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    redis_trips = _count_redis_round_trips()
    backends = _backends()
    db_cpu0 = _cpu(backends)
    # CPU time, not wall: what a function costs the 2 cores, not how long it waited on the network or
    # the database (a side thread's CPU lands on whatever the main thread runs meanwhile)
    prof = cProfile.Profile(time.process_time)
    walls: list[float] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    for cid in ids:
        s = time.perf_counter()
        if not args.no_profile:
            prof.enable()
        run(cid, trigger)
        if not args.no_profile:
            prof.disable()
        walls.append(time.perf_counter() - s)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    event.remove(db.engine, "before_cursor_execute", count)
    trips = redis_trips.pop()
    db_cpu = _cpu(backends) - db_cpu0
    calls = requests.get(f"{sandbox}/_sandbox/calls", timeout=30).json().get("count") or 0
    n = len(ids)
    walls.sort()
    latency = args.latency_ms if args.phase == "daily" else args.initial_latency_ms
    print(
        f"\n{n} {trigger} syncs ({'job body' if args.job else 'engine'})"
        f" at {latency} ms/call: wall {wall:.2f} s "
        f"({wall / n * 1000:.0f} ms/sync, p50 {walls[n // 2] * 1000:.0f}, max {walls[-1] * 1000:.0f}), "
        f"CPU {cpu / n * 1000:.1f} ms/sync, platform calls {calls / n:.2f}/sync "
        f"(= {calls / n * latency:.0f} ms of injected latency), SQL statements {statements[0] / n:.1f}/sync, "
        f"PostgreSQL backend CPU {db_cpu / n * 1000:.1f} ms/sync, Redis round trips {trips / n:.1f}/sync"
    )
    if args.out:
        prof.dump_stats(args.out)
    if not args.no_profile:
        stats = pstats.Stats(prof)
        print(f"{stats.total_calls / n:.0f} Python function calls per sync (a noise-free measure of work)")  # type: ignore[attr-defined]
        stats.sort_stats(args.sort).print_stats(args.top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", default=None)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--warmup", type=int, default=6, help="Daily syncs of the first N connections run untimed (warm caches)."
    )
    parser.add_argument("--db", default="bench_sync_profile", help="Database created next to --url and dropped.")
    parser.add_argument("--phase", choices=("daily", "initial"), default="daily")
    parser.add_argument("--initial-latency-ms", type=int, default=0)
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="Comma-separated, connected in turn.")
    parser.add_argument("--job", action="store_true", help="Time the job body (sync_connection), not the engine.")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key of the printed top functions.")
    parser.add_argument(
        "--no-portfolio-triggers",
        action="store_true",
        help="Disable the portfolio state's stale-mark triggers (0030_portfolio) before the timed syncs: "
        "run with and without to see what they cost PostgreSQL per sync.",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="Time CPU per sync without cProfile (its overhead is ~2x)."
    )
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.redis_conn import start_embedded, stop_embedded
    from bench.cleanup import remove_folder, shielded, stop_on_signals

    stop_on_signals()

    instance = tempfile.mkdtemp(prefix="bench-sync-profile-")
    db_url = recreate_database(args.url, args.db)
    sandbox_proc: subprocess.Popen[bytes] | None = None
    try:
        redis_url = start_embedded(os.path.join(instance, "redis"))
        port = free_port()
        sandbox = f"http://127.0.0.1:{port}"
        sandbox_proc = subprocess.Popen(
            [sys.executable, "-c", SANDBOX_SCRIPT, str(port)],
            cwd=ROOT,  # noqa: S603
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        wait_http(f"{sandbox}/_sandbox/clock")
        app = create_app(
            {
                "APP_ENV": "test",
                "TESTING": True,
                "SECRET_KEY": os.urandom(32).hex(),
                "TOKEN_ENCRYPTION_KEYS": f"k1:{key}",
                "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
                "SQLALCHEMY_DATABASE_URI": db_url,
                "REDIS_URL": redis_url,
                "INSTANCE_PATH": instance,
                "PLATFORM_SANDBOX_URL": sandbox,
                "OAUTH_REDIRECT_BASE": REDIRECT_BASE,
                "LOG_LEVEL": "WARNING",
                "LINKEDIN_ORGANIZATIONS": "linkedin_page" in args.platforms,
            }
        )
        with app.app_context():
            from app.jobs.sync import sync_connection
            from app.queueing.queues import get_queue
            from app.sync import engine

            upgrade(directory=str(ROOT / "migrations"))
            platforms = tuple(p.strip() for p in args.platforms.split(",") if p.strip())
            ids = setup_world(app, sandbox, args.connections, platforms=platforms)
            get_queue("sync").empty()  # the connects' queued initial syncs run here instead

            def run(cid: int, trigger: str) -> None:
                if args.job:
                    sync_connection(cid, trigger)
                else:
                    engine.sync(cid, trigger)

            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": args.initial_latency_ms}, timeout=10)
            trigger = args.phase
            if args.phase == "initial":
                for cid in ids[: args.warmup]:
                    run(cid, "initial")
            else:
                for cid in ids:
                    run(cid, "initial")
                requests.put(f"{sandbox}/_sandbox/latency", json={"ms": args.latency_ms}, timeout=10)
                for cid in ids[: args.warmup]:  # a long-lived worker's caches (statements, pools) are warm
                    run(cid, "daily")
            ids = ids[args.warmup :]
            if args.no_portfolio_triggers:
                from sqlalchemy import text

                from app.extensions import db

                for name, table in PORTFOLIO_TRIGGERS:
                    db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {name}"))
                db.session.commit()
            measure(args, sandbox, ids, run, trigger)
    finally:
        with shielded():
            if sandbox_proc is not None:
                stop_all([sandbox_proc], grace=5)
            stop_embedded()
            remove_folder(instance)
            recreate_database(args.url, args.db, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
