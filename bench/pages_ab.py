"""Before/after of the audience pages (or the admin portfolio), interleaved request by request (issue 18's
speed target; issue 21's portfolio with ``--only portfolio``).

Two checkouts of the app (``--before``, e.g. a ``git worktree`` of the commit before a change, and this
one) each serve the cases of ``bench/pages_audience.py`` in a process of their own, on the same database
(made by ``bench/pages.py --audience --keep``); this script asks them in turn, A B A B ..., so a load
spike on a shared box hits both sides alike. Each side has its own embedded Redis.

    .venv/bin/python bench/pages.py --audience --keep --name bench_ab --only nothing
    git worktree add --detach /tmp/before <commit>   # with .venv (and static/vendor) as in the checkout
    .venv/bin/python bench/pages_ab.py --name bench_ab --before /tmp/before [--runs 30] [--only "audience:"]
    .venv/bin/python bench/pages_ab.py --name h_portfolio10k --before /tmp/before --only portfolio --runs 8

Prints per case and side: p50, p95 and max wall ms, the app CPU p50 (that process's own CPU time per
request: steadier than wall time on a shared box), the database CPU per request (the CPU time of that
side's PostgreSQL backends, told apart by ``application_name``, read from ``/proc`` before and after each
request: the mean, as the kernel counts it in 10 ms ticks), queries per request, and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent.parent

# runs inside each side's own checkout (so it imports that side's app and bench modules)
SERVE = r"""
import json, shutil, signal, sys, tempfile, time
sys.path.insert(0, ".")
signal.signal(signal.SIGTERM, signal.default_int_handler)  # a SIGTERM unwinds through ``finally`` too
from sqlalchemy import event
from bench import pages, pages_audience
from app.redis_conn import get_redis, start_embedded, stop_embedded

db_url, only = sys.argv[1], sys.argv[2]
instance = tempfile.mkdtemp(prefix="bench-ab-")
app = pages.make_app(db_url, instance, REDIS_URL=start_embedded(instance))
try:
    from app.extensions import db

    def flush():
        with app.app_context():
            r = get_redis()
            for key in r.scan_iter("chart:*"):
                r.delete(key)

    def flush_all():  # the first request after a sync: no portfolio result, no chart
        flush()
        with app.app_context():
            r = get_redis()
            for key in r.scan_iter("portfolio:*"):
                r.delete(key)

    client_c = app.test_client()
    client_c.post("/login", data={"email": pages.CLIENT_EMAIL, "password": pages.PASSWORD})
    if only.startswith("portfolio"):  # the admin portfolio cases of bench/pages.py (issue 21)
        admin_c, coach_c = app.test_client(), app.test_client()
        admin_c.post("/login", data={"email": "admin@bench.local", "password": pages.PASSWORD})
        coach_c.post("/login", data={"email": "coach1@bench.local", "password": pages.PASSWORD})
        every = [
            ("portfolio 30d, uncached", lambda: admin_c.get("/admin/portfolio?range=30d"), flush_all),
            ("portfolio all time, uncached", lambda: admin_c.get("/admin/portfolio?range=all"), flush_all),
            ("portfolio 30d, result cached", lambda: admin_c.get("/admin/portfolio?range=30d"), None),
            ("portfolio 30d, coach's 50, uncached", lambda: coach_c.get("/admin/portfolio?range=30d"), flush_all),
        ]
    else:
        every = pages_audience.cases(app, client_c, pages.CLIENT_EMAIL, flush)
    cases = {n: (fn, cold) for n, fn, cold in every if only in n}
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}
    event.listen(engine, "before_cursor_execute", lambda *a: counter.__setitem__("n", counter["n"] + 1))
    import gc
    gc.freeze()
    print(json.dumps(sorted(cases)), flush=True)
    warm = set()
    for line in sys.stdin:
        fn, cold = cases[line.strip()]
        if line not in warm:
            warm.add(line)
            fn()  # warm-up (imports, templates, first cache fill)
        if cold:
            cold()
        counter["n"] = 0
        t, c = time.perf_counter(), time.process_time()
        resp = fn()
        wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
        print(json.dumps([wall, cpu, counter["n"], resp.status_code, len(resp.get_data())]), flush=True)
finally:
    stop_embedded()
    shutil.rmtree(instance, ignore_errors=True)
"""


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


STARTED: list[subprocess.Popen[str]] = []  # every side started, for ``stop_sides`` (also one still starting)


def backend_cpu(pid: int) -> float:
    """CPU seconds of a PostgreSQL backend process on this machine (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(conn: Any, side: str) -> float:
    """CPU ms used so far by the PostgreSQL backends of ``side``'s process (its ``application_name``)."""
    sql = text("SELECT pid FROM pg_stat_activity WHERE application_name = :a")
    pids = [r[0] for r in conn.execute(sql, {"a": f"bench-ab-{side}"})]
    return sum(backend_cpu(pid) for pid in pids) * 1000


def start(checkout: Path, db_url: str, only: str, side: str) -> tuple[subprocess.Popen[str], list[str]]:
    python = checkout / ".venv" / "bin" / "python"
    proc = subprocess.Popen(
        [str(python), "-c", SERVE, db_url, only],
        cwd=checkout,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(checkout), "PGAPPNAME": f"bench-ab-{side}"},
    )
    STARTED.append(proc)
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def stop_sides() -> None:
    """End of input: each side stops its redis-server and removes its folder, then exits. One that does not
    within 30 s (busy, or still starting) gets a SIGINT (the same clean-up), then SIGKILL."""
    from bench.cleanup import shielded

    with shielded():
        for proc in STARTED:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
        for proc in STARTED:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--name", required=True, help="a database made by bench/pages.py --audience --keep")
    ap.add_argument("--before", required=True, type=Path, help="the other checkout (with its .venv)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--only", default="audience:", help='"audience:" cases, or "portfolio" (any database of pages.py)')
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from app.config import normalise_database_url
    from bench.cleanup import stop_on_signals
    from bench.pages import admin_url

    stop_on_signals()
    db_url = admin_url(normalise_database_url(args.url) or args.url, args.name)
    sides: dict[str, tuple[subprocess.Popen[str], list[str]]] = {}
    got: dict[tuple[str, str], list[list[float]]] = {}
    loads = [os.getloadavg()[0]]
    watch = create_engine(db_url, isolation_level="AUTOCOMMIT").connect()
    try:
        sides["before"] = start(args.before.resolve(), db_url, args.only, "before")
        sides["after"] = start(HERE, db_url, args.only, "after")
        names = [n for n in sides["after"][1] if n in sides["before"][1]]
        got = {(n, s): [] for n in names for s in sides}
        for name in names:  # one case at a time (a cold case empties the chart cache the warm ones read)
            for i in range(args.runs):
                order = ("before", "after") if i % 2 == 0 else ("after", "before")
                for side in order:
                    proc = sides[side][0]
                    assert proc.stdin is not None
                    assert proc.stdout is not None
                    db_cpu = backends_cpu(watch, side)
                    proc.stdin.write(name + "\n")
                    proc.stdin.flush()
                    wall, cpu, queries, status, size = json.loads(proc.stdout.readline())
                    db_cpu = backends_cpu(watch, side) - db_cpu
                    assert status == 200, (side, name, status)
                    got[(name, side)].append([wall, cpu, queries, size, db_cpu])
                loads.append(os.getloadavg()[0])
    finally:
        stop_sides()
        watch.close()
    print(f"\nload average (1 min) during the run: {min(loads):.1f}-{max(loads):.1f}, {args.runs} runs per side")
    print("\n| page | side | p50 ms | p95 ms | max ms | app CPU p50 ms | database CPU mean ms | queries | bytes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        for side in sides:
            rows = got[(name, side)]
            wall = [r[0] for r in rows]
            cpu = [r[1] for r in rows]
            db_cpu = statistics.mean(r[4] for r in rows)
            print(
                f"| {name} | {side} | {statistics.median(wall):.1f} | {p95(wall):.1f} | {max(wall):.1f} | "
                f"{statistics.median(cpu):.1f} | {db_cpu:.0f} | {rows[-1][2]} | {rows[-1][3]:,} |"
            )


if __name__ == "__main__":
    main()
