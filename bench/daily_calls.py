"""Which platform calls a daily sync makes, per mix entry and endpoint, from the sandbox's call log.

    .venv/bin/python bench/daily_calls.py --connections 70 --db h_<name>_calls [--url postgresql://...]

The same set-up and daily phase as ``bench/sync.py`` (its functions, imported): N sandbox creators in turn
over the six platforms and LinkedIn Company Pages, connected through the OAuth round trip, the initial
syncs, then the 03:00 fan-out run as a day later for the comment step (a quarter of the YouTube channels
get 50 new videos, as the 10 of 40 in a 280-connection ``bench/sync.py`` run). No latency (the calls are
counted, not timed), ``--workers`` no-fork workers.

Printed: for the daily phase, calls per connection by entry and endpoint (the sandbox's log: method and
path, ids folded to ``{id}``), and the same split by the query's ``metric`` / ``metric_type`` /
``breakdown`` / ``part`` where a path carries several kinds of call (from the runs' raw-response log,
whose URLs keep the query). The database is dropped at the end, every process stopped.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync import (  # noqa: E402
    LINKEDIN_PAGE,
    PLATFORMS,
    add_new_videos,
    bench_app,
    bench_env,
    day_later_for_comments,
    recreate_database,
    run_phase,
    setup_world,
    start_sandbox,
    stop_all,
)

_ID = re.compile(r"/(?=[^/]*\d)[^/]{6,}")  # a path segment with a digit, 6+ long: an id
_KINDS = ("metric_type", "breakdown", "part", "q", "queryType", "timeGranularity.timeGranularityType")


def fold(path: str) -> str:
    return _ID.sub("/{id}", path)


def kind(url: str) -> str:
    """The path folded, plus the query keys that tell calls of one path apart."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    extra = [f"{k}={query[k][:40]}" for k in _KINDS if k in query]
    if "metric" in query and len(query["metric"]) < 40:
        extra.append(f"metric={query['metric']}")
    return fold(parts.path) + (" ?" + "&".join(extra) if extra else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=70)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="bench_daily_calls")
    args = parser.parse_args()
    from bench.cleanup import remove_folder, shielded, stop_on_signals

    stop_on_signals()
    from flask_migrate import upgrade

    from app.redis_conn import start_embedded, stop_embedded

    instance = tempfile.mkdtemp(prefix="bench-calls-")
    db_url = recreate_database(args.url, args.db)
    sandbox_proc = None
    try:
        redis_url = start_embedded(os.path.join(instance, "redis"))
        sandbox_proc, sandbox = start_sandbox()
        env = bench_env(db_url, redis_url, instance, sandbox, linkedin_pages=True)
        app = bench_app(env)
        with app.app_context():
            from app.extensions import db
            from app.jobs.sync import daily_fanout
            from app.models import Connection
            from app.models.sync import RawResponse, SyncRun

            upgrade(directory=str(ROOT / "migrations"))
            ids = setup_world(app, sandbox, args.connections, platforms=PLATFORMS)
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": 0}, timeout=10)
            run_phase("initial", app, sandbox, env, args.workers, len(ids), "initial", no_fork=True)

            def fanout() -> None:
                channels = sum(1 for i in range(args.connections) if PLATFORMS[i % len(PLATFORMS)] == "youtube")
                add_new_videos(sandbox, channels=max(1, channels // 4))
                day_later_for_comments()
                daily_fanout()

            daily = run_phase("daily", app, sandbox, env, args.workers, len(ids), "daily", before=fanout, no_fork=True)
            log = requests.get(f"{sandbox}/_sandbox/calls", timeout=60).json()["calls"]
            db.session.rollback()
            entry_of = {
                cid: LINKEDIN_PAGE if kind_ == "organization" else platform
                for cid, platform, kind_ in db.session.execute(
                    select(Connection.id, Connection.platform, Connection.account_type)
                ).tuples()
            }
            n = Counter(entry_of.values())
            # the sandbox's log has no connection: LinkedIn member and Page calls are told apart by path
            by_path: Counter[tuple[str, str]] = Counter()
            for c in log:
                platform = c["platform"]
                if platform == "linkedin" and ("organization" in c["path"] or "networkSizes" in c["path"]):
                    platform = LINKEDIN_PAGE
                by_path[(platform, f"{c['method']} {fold(c['path'])}")] += 1
            print(f"\n== daily phase: {daily['done']} syncs, sandbox log {len(log)} calls")
            print("sandbox log, calls a connection by endpoint (LinkedIn Page = organization*/networkSizes paths):")
            for (platform, path), count in sorted(by_path.items()):
                print(f"  {platform:13} {count / max(1, n[platform]):6.2f}  {path}")
            rows = db.session.execute(
                select(RawResponse.connection_id, RawResponse.method, RawResponse.url)
                .join(SyncRun, SyncRun.id == RawResponse.sync_run_id)
                .where(SyncRun.trigger == "daily")
            ).all()
            by_kind: Counter[tuple[str, str]] = Counter()
            runs: Counter[str] = Counter()
            for cid, calls in db.session.execute(
                select(SyncRun.connection_id, SyncRun.calls).where(SyncRun.trigger == "daily")
            ).tuples():
                runs[entry_of[cid]] += calls or 0
            for cid, method, url in rows:
                by_kind[(entry_of[cid], f"{method} {kind(url)}")] += 1
            print("\nraw-response log of the daily runs, calls a connection by endpoint and query kind:")
            for (entry, what), count in sorted(by_kind.items()):
                print(f"  {entry:13} {count / max(1, n[entry]):6.2f}  {what}")
            print("\nSyncRun.calls a connection:")
            for entry in sorted(n):
                print(f"  {entry:13} {runs[entry] / max(1, n[entry]):6.2f}  ({n[entry]} connections)")
    finally:
        with shielded():
            if sandbox_proc is not None:
                stop_all([sandbox_proc], grace=5)
            stop_embedded()
            recreate_database(args.url, args.db, drop_only=True)
            remove_folder(instance)
        time.sleep(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
