"""The uncached admin portfolio taken apart, one request at a time (issue 21), on a database of
``bench/pages.py --keep``:

- ``--explain``: every SQL statement one uncached request sends, each run again ``--repeat`` times with
  the settings it ran with (the reads aside: ``jit`` off, ``work_mem`` 32 MB) for its backend's CPU
  (``/proc``, 10 ms ticks: what it costs the box whatever the load), then once under ``EXPLAIN
  (ANALYZE, BUFFERS)``: execution and planning time (wall inside the server: inflated by load), JIT
  time if any; ``--plans FILE`` keeps the plans;
- ``--profile``: a cProfile of one uncached request (the page, in-process), the top functions;
- ``--dump FILE``: the computed results (``compute_portfolio``, whole and page, admin and a coach) of a
  set of queries as JSON, to compare two checkouts' answers on the same database (``cmp``).

    .venv/bin/python bench/portfolio_profile.py --name bench_pages10k --explain --profile
    cd /tmp/before && PYTHONPATH=. .venv/bin/python /path/to/bench/portfolio_profile.py --name ... --dump a.json

It imports the app of the current directory, so the same script measures another checkout.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())

QUERIES: list[dict[str, str]] = [
    {"range": "30d"},
    {"range": "7d"},
    {"range": "90d"},
    {"range": "all"},
    {"range": "30d", "platform": "instagram"},
    {"range": "all", "platform": "tiktok,youtube"},
    {"range": "30d", "size": "micro"},
    {"range": "30d", "coach": "2"},
]


def _login(app: Any, email: str) -> Any:
    from bench import pages

    c = app.test_client()
    c.post("/login", data={"email": email, "password": pages.PASSWORD})
    return c


def _flush(app: Any) -> None:
    from app.redis_conn import get_redis

    with app.app_context():
        r = get_redis()
        for key in [*r.scan_iter("portfolio:*"), *r.scan_iter("chart:*")]:
            r.delete(key)


def statements(app: Any, path: str) -> list[tuple[str, Any, bool]]:
    """``(statement, parameters, jit off)`` of every statement one uncached request of ``path`` sends."""
    from sqlalchemy import event

    from app.extensions import db

    admin = _login(app, "admin@bench.local")
    admin.get(path)  # warm: imports, templates
    _flush(app)
    seen: list[tuple[str, Any, bool]] = []
    jit_off: set[int] = set()

    def record(conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
        if stmt.startswith("SET LOCAL jit"):
            jit_off.add(id(conn))
            return
        seen.append((stmt, params, id(conn) in jit_off))
        jit_off.discard(id(conn))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert admin.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def backend_cpu(pid: int) -> float:
    """CPU ms of a PostgreSQL backend process on this machine (10 ms ticks; 0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _one(cur: Any) -> Any:
    row = cur.fetchone()
    assert row is not None
    return row[0]


def explain(app: Any, path: str, repeat: int, plans: str) -> None:
    """Per statement: the mean CPU of its backend over ``repeat`` runs (what it costs the box, whatever
    the load), then one ``EXPLAIN ANALYZE`` (execution time: wall inside the server, inflated by load)."""
    from app.extensions import db

    print(f"\nEach statement of one uncached GET {path}: backend CPU mean of {repeat} runs, EXPLAIN ANALYZE once")
    total_cpu = total_exec = 0.0
    out = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT pg_backend_pid()")
            pid = _one(cur)
            raw.rollback()
            for stmt, params, jit_off in statements(app, path):
                if not stmt.lstrip().upper().startswith(("SELECT", "WITH")):
                    print(f"  (not a read) {stmt[:70]!r}")
                    continue
                setting = "SET LOCAL jit = off; SET LOCAL work_mem = '32MB'" if jit_off else "SELECT 1"
                cpu = backend_cpu(pid)
                for _ in range(repeat):
                    cur.execute(setting)
                    cur.execute(stmt, params)
                    cur.fetchall()
                    raw.rollback()
                cpu = (backend_cpu(pid) - cpu) / repeat
                cur.execute(setting)
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + stmt, params)
                plan = _one(cur)[0]
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params)
                out.append(stmt + "\n" + "\n".join(r[0] for r in cur.fetchall()))
                raw.rollback()
                ms = plan["Execution Time"]
                total_cpu, total_exec = total_cpu + cpu, total_exec + ms
                jit = plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
                first = " ".join(stmt.split())[:80]
                print(
                    f"  {cpu:7.1f} ms CPU {ms:8.1f} ms exec {plan['Planning Time']:5.1f} ms plan"
                    f"{f' {jit:.1f} ms JIT' if jit else ''} {plan['Plan'].get('Actual Rows', 0):>6} rows  {first}"
                )
        finally:
            raw.close()
    print(f"  {total_cpu:7.1f} ms CPU {total_exec:8.1f} ms exec in all")
    if plans:
        Path(plans).write_text("\n\n".join(out))


def profile(app: Any, path: str, top: int) -> None:
    admin = _login(app, "admin@bench.local")
    admin.get(path)
    _flush(app)
    prof = cProfile.Profile()
    t, c = time.perf_counter(), time.process_time()
    prof.enable()
    assert admin.get(path).status_code == 200
    prof.disable()
    wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
    print(f"\ncProfile of one uncached GET {path}: {wall:.0f} ms wall, {cpu:.0f} ms CPU (profiled: slower)")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def backends_cpu(app: Any) -> float:
    """CPU ms used so far by this process's PostgreSQL backends (its ``application_name``, set in ``main``)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context(), db.engine.connect() as c:
        pids = c.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": os.environ["PGAPPNAME"]}
        )
        return sum(backend_cpu(pid) for (pid,) in pids)


def variants(app: Any, names: str, runs: int, args: dict[str, str]) -> None:
    """``compute_portfolio`` of the admin's page result (no cache, no page), variants interleaved run by run:
    ``N`` the per-client statement in N parts, ``Nb`` the same with the statement built again every time
    (as before ``portfolio_rows.kept``). Wall, this process's CPU and its database backends' CPU."""
    import statistics

    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services.clients import visible_clients
    from app.stats import portfolio, portfolio_rows
    from app.stats.query import parse

    picked = names.split(",")
    got: dict[str, list[tuple[float, float, float]]] = {v: [] for v in picked}
    loads = [os.getloadavg()[0]]
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "admin@bench.local")).scalar_one()
        visible = visible_clients(user)
        q = parse(args, now=date.today(), extra=("size", "coach"))
        for i in range(runs + 1):  # the first round warms each variant up (connections, statements)
            for v in picked if i % 2 else picked[::-1]:
                if v.endswith("b"):
                    portfolio_rows._KEPT.clear()  # noqa: SLF001 - built again, as before the statements were kept
                d0, t, c = backends_cpu(app), time.perf_counter(), time.process_time()
                portfolio.compute_portfolio(visible, q, page=True, parts=int(v.rstrip("b")))
                wall, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
                db.session.rollback()
                if i:
                    got[v].append((wall, cpu, backends_cpu(app) - d0))
            loads.append(os.getloadavg()[0])
    print(f"\ncompute_portfolio {args}, admin, page result; {runs} interleaved runs", end="")
    print(f", load average {min(loads):.1f}-{max(loads):.1f}")
    print("| variant | wall p50 ms | wall p95 ms | app CPU p50 ms | database CPU mean ms |\n|---|---|---|---|---|")
    for v, rows in got.items():
        wall = sorted(r[0] for r in rows)
        print(
            f"| {v} | {statistics.median(wall):.1f} | {wall[max(0, round(0.95 * len(wall)) - 1)]:.1f} | "
            f"{statistics.median(r[1] for r in rows):.1f} | {statistics.mean(r[2] for r in rows):.1f} |"
        )


def dump(app: Any, out: str) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services.clients import visible_clients
    from app.stats import portfolio
    from app.stats.query import parse

    got: dict[str, Any] = {}
    with app.app_context():
        today = date.today()
        for email in ("admin@bench.local", "coach1@bench.local"):
            user = db.session.execute(select(User).where(User.email == email)).scalar_one()
            visible = visible_clients(user)
            for args in QUERIES:
                q = parse(args, now=today, extra=("size", "coach"))
                for page in (False, True):
                    pf = portfolio.compute_portfolio(visible, q, page=page)
                    key = f"{email} {json.dumps(args, sort_keys=True)} page={page}"
                    got[key] = json.loads(portfolio._dump(pf))  # noqa: SLF001 - the cached form: every field
                    got[key]["platform_order"] = list(pf.platform_totals)
                db.session.rollback()
    with open(out, "w") as f:
        json.dump(got, f, indent=0, sort_keys=True)
    print(f"{len(got)} results written to {out}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    ap.add_argument("--name", required=True, help="a database kept by bench/pages.py --keep")
    ap.add_argument("--path", action="append", help="page(s) to take apart (default: the 30-day and all-time views)")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--repeat", type=int, default=5, help="runs per statement for its backend CPU")
    ap.add_argument("--plans", default="", help="write the EXPLAIN ANALYZE plans to this file")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--dump", default="")
    ap.add_argument(
        "--variants", default="", help='e.g. "1b,1,2": compute_portfolio with the statement in N parts (b: rebuilt)'
    )
    ap.add_argument("--runs", type=int, default=20, help="interleaved runs per variant (--variants)")
    args = ap.parse_args()
    os.environ["PGAPPNAME"] = f"portfolio-profile-{os.getpid()}"  # tells this process's backends apart
    from app.config import normalise_database_url
    from app.redis_conn import start_embedded, stop_embedded
    from bench import pages

    db_url = pages.admin_url(normalise_database_url(args.url) or args.url, args.name)
    instance = tempfile.mkdtemp(prefix="bench-portfolio-")
    app = pages.make_app(db_url, instance, REDIS_URL=start_embedded(instance))
    paths = args.path or ["/admin/portfolio?range=30d", "/admin/portfolio?range=all"]
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.1f}")
    try:
        for path in paths:
            if args.explain:
                explain(app, path, args.repeat, args.plans)
            if args.profile:
                profile(app, path, args.top)
        if args.variants:
            for path in paths:
                query = dict(p.split("=") for p in path.partition("?")[2].split("&") if p)
                variants(app, args.variants, args.runs, query)
        if args.dump:
            dump(app, args.dump)
    finally:
        stop_embedded()
        shutil.rmtree(instance, ignore_errors=True)  # its redis files
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
