"""N sync workers started as N ``python worker.py`` processes, or as one ``worker.py --processes N`` pool:
the CPU and wall time until every worker is registered with RQ (waiting for jobs), and their memory then.

    .venv/bin/python bench/worker_pool.py --workers 12 [--no-fork] [--rounds 3] \\
        [--url postgresql://postgres@127.0.0.1:5432/postgres] [--db bench_worker_pool]

Rounds alternate (separate, pool, separate, pool, ...) on an empty ``sync`` queue, with a PostgreSQL
database created next to ``--url`` and migrated (the preflight's query runs against it; dropped at the
end) and the embedded Redis. Measured per start:

* CPU: user + system of every process of the started trees (the parent's own start-up included; the
  work-horses and processes already reaped through their parent's children times), sampled once every
  worker is registered and has had 1 s more to settle;
* memory at that moment, summed over every process: RSS (a page shared by several processes counts in
  each), PSS (each shared page divided among its sharers: the sum is what the workers take together)
  and USS (pages only that process has), from ``/proc/<pid>/smaps_rollup``;
* the wall time from the launch until every worker is registered, and until all have stopped after
  SIGTERM (warm shutdown, nothing running).

The sync benchmark's initial phase counts the same start-up in its CPU a sync (``bench/sync.py
--pool``); this isolates it. Not part of pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync import _wait_registered, bench_app, bench_env, recreate_database, start_workers, stop_all  # noqa: E402


def measure(env: dict[str, str], workers: int, no_fork: bool, pool: bool) -> dict[str, float]:
    launched = time.monotonic()
    procs = start_workers(env, workers, "pool" if pool else "separate", no_fork, pool=pool)
    try:
        _wait_registered(env["REDIS_URL"], [p.pid for p in procs], workers)
        ready = time.monotonic() - launched
        time.sleep(1.0)
        cpu = rss = pss = uss = 0.0
        count = 0
        for proc in procs:
            root = psutil.Process(proc.pid)
            for p in [root, *root.children(recursive=True)]:
                t = p.cpu_times()
                info = p.memory_full_info()
                cpu += t.user + t.system + t.children_user + t.children_system
                rss, pss, uss, count = rss + info.rss, pss + info.pss, uss + info.uss, count + 1
    finally:
        stopping = time.monotonic()
        stop_all(procs)
        stopped = time.monotonic() - stopping
    mb = 2**20
    return {
        "ready_s": ready,
        "cpu_s": cpu,
        "rss_mb": rss / mb,
        "pss_mb": pss / mb,
        "uss_mb": uss / mb,
        "processes": count,
        "stop_s": stopped,
        "load": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=12)
    parser.add_argument("--no-fork", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="bench_worker_pool")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app.redis_conn import start_embedded, stop_embedded
    from bench.cleanup import remove_folder, shielded, stop_on_signals

    stop_on_signals()
    instance = tempfile.mkdtemp(prefix="bench-pool-")
    db_url = recreate_database(args.url, args.db)
    found: dict[str, list[dict[str, float]]] = {"separate": [], "pool": []}
    try:
        redis_url = start_embedded(os.path.join(instance, "redis"))
        env = bench_env(db_url, redis_url, instance, "http://127.0.0.1:1")
        with bench_app(env).app_context():
            upgrade(directory=str(ROOT / "migrations"))
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        for _ in range(args.rounds):
            for kind in ("separate", "pool"):
                got = measure(env, args.workers, args.no_fork, pool=kind == "pool")
                found[kind].append(got)
                print(kind, {k: round(v, 2) for k, v in got.items()}, flush=True)
    finally:
        with shielded():
            stop_embedded()
            recreate_database(args.url, args.db, drop_only=True)
            remove_folder(instance)
    mode = "--no-fork " if args.no_fork else ""
    print(f"\n{args.workers} {mode}workers, {args.rounds} rounds alternating; medians (min-max)\n")
    keys = ("cpu_s", "ready_s", "rss_mb", "pss_mb", "uss_mb", "stop_s", "load")
    print("| started as | " + " | ".join(keys) + " | processes |\n|---|" + "---|" * (len(keys) + 1))
    for kind, runs in found.items():
        cells: list[Any] = []
        for key in keys:
            values = [r[key] for r in runs]
            cells.append(f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})")
        print(f"| {kind} | " + " | ".join(cells) + f" | {max(r['processes'] for r in runs):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
