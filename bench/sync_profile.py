"""Profile daily syncs in one process (no RQ): where a sync's wall and CPU time go.

    .venv/bin/python bench/sync_profile.py --connections 30 [--latency-ms 100] [--out /tmp/sync.prof]

Same set-up as ``bench/sync.py`` (``bench_sync_profile`` database, embedded Redis, the sandbox in its own
process, N connections through the OAuth round trip, their initial syncs run here at 0 ms); then every
connection's daily sync runs under cProfile with ``--latency-ms`` per platform call. Prints wall and CPU
per sync and the top functions by cumulative time; the raw profile is written to ``--out``.
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
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync import (  # noqa: E402
    REDIRECT_BASE,
    SANDBOX_SCRIPT,
    free_port,
    recreate_database,
    setup_world,
    stop_all,
    wait_http,
)


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
    parser.add_argument(
        "--no-profile", action="store_true", help="Time CPU per sync without cProfile (its overhead is ~2x)."
    )
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.redis_conn import start_embedded, stop_embedded

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
            }
        )
        with app.app_context():
            from app.queueing.queues import get_queue
            from app.sync import engine

            upgrade(directory=str(ROOT / "migrations"))
            ids = setup_world(app, sandbox, args.connections)
            get_queue("sync").empty()  # the connects' queued initial syncs run here instead
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": 0}, timeout=10)
            for cid in ids:
                engine.sync(cid, "initial")
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": args.latency_ms}, timeout=10)
            for cid in ids[: args.warmup]:  # a long-lived worker's caches (statements, pools) are warm
                engine.sync(cid, "daily")
            ids = ids[args.warmup :]
            requests.delete(f"{sandbox}/_sandbox/calls", timeout=10)
            prof = cProfile.Profile()
            walls: list[float] = []
            cpu0, t0 = time.process_time(), time.perf_counter()
            for cid in ids:
                s = time.perf_counter()
                if not args.no_profile:
                    prof.enable()
                engine.sync(cid, "daily")
                if not args.no_profile:
                    prof.disable()
                walls.append(time.perf_counter() - s)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
            calls = requests.get(f"{sandbox}/_sandbox/calls", timeout=30).json().get("count") or 0
            n = len(ids)
            walls.sort()
            print(
                f"\n{n} daily syncs at {args.latency_ms} ms/call: wall {wall:.2f} s "
                f"({wall / n * 1000:.0f} ms/sync, p50 {walls[n // 2] * 1000:.0f}, max {walls[-1] * 1000:.0f}), "
                f"CPU {cpu / n * 1000:.0f} ms/sync, platform calls {calls / n:.2f}/sync "
                f"(= {calls / n * args.latency_ms:.0f} ms of injected latency)"
            )
            if args.out:
                prof.dump_stats(args.out)
            if not args.no_profile:
                stats = pstats.Stats(prof)
                print(f"{stats.total_calls / n:.0f} Python function calls per sync (a noise-free measure of work)")  # type: ignore[attr-defined]
                stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        if sandbox_proc is not None:
            stop_all([sandbox_proc], grace=5)
        stop_embedded()
        recreate_database(args.url, args.db, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
