"""Load: simulated dashboard users over real HTTP against gunicorn while 1,000 connections sync.

    .venv/bin/python bench/load.py --url postgresql://postgres@127.0.0.1:5432/postgres --users 50 --seconds 60

Set-up (not measured), with ``bench/sync.py``'s functions: a PostgreSQL database ``bench_load`` (created
next to ``--url``, dropped at the end unless ``--keep``) migrated with Alembic, the embedded Redis, the
sandbox in its own process, ``--connections`` clients (``--coaches`` coaches, and admins) each connected to
a sandbox creator through the product's own OAuth round trip, and their initial syncs (backfills) run by
the workers at 0 ms per platform call. Every bench user gets the same password (hashed once, set in SQL).

Measured: gunicorn with the project's ``gunicorn.conf.py`` (gthread, ``--web-processes`` x 8 threads) on a
free loopback port; ``--workers`` ``python worker.py --queues sync --no-fork`` processes; the sandbox at
``--latency-ms`` per platform call; the 03:00 fan-out (``daily_fanout``, after 50 new videos on 10 YouTube
channels, as in ``bench/sync.py``) and, while those syncs run, ``--users`` simulated users for
``--seconds`` seconds driven by locust (``bench/load_users.py``, a child process). They log in through the
real login form (GET it, POST it with its CSRF token; now and then log out and in again) and browse with
``--think-min`` to ``--think-max`` seconds between clicks:

- clients: the overview, the growth and metric chart partials (HTMX, random range / metric), their
  platform page and its content table partial, the notifications list and badge polls;
- coaches (their 50 clients) and admins (all clients): the client list, a client's page, the portfolio
  (random range), the alert feed and its badge poll.

Errors, counted: on the client side every request whose status is not the expected one (redirects are not
followed), whose body lacks its page's marker, or that raised (a timeout after ``--timeout`` s, a refused
or reset connection); on the server side, from gunicorn's JSON log (``LOG_LEVEL=INFO``: one access line
per request, matched by the ``X-Request-ID`` each request carries), access lines with a 5xx, ERROR or
CRITICAL records (exceptions, worker timeouts) and requests sent without an access line.

Reported: per page requests, failures, p50 / p95 / max (client side, ms) and the server-side p95; the
errors; how long requests waited before the app started them; the window in 10-second steps; syncs
finished during the window (per minute) and how far the fan-out got; the load average and the CPU used by
each part and by everything else on the box. ``--no-fanout`` runs the same users with no syncs queued (a
baseline). Everything the bench starts shares its session (``--own-sessions``: one each; see
bench/README.md, "load", for what that does to the CPU shares) and is stopped at the end, also on failure,
Ctrl-C or SIGTERM: gunicorn, the workers, the sandbox, the locust process, the embedded redis-server; the
database is dropped and the temporary folder removed (kept, with its logs, when the run had errors or with
``--keep``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-load-password-2026"
TRIGGER = "daily"

#: page key (the locust request name and the X-Request-ID prefix) -> label in the report
PAGES: dict[str, str] = {
    "login.form": "GET /login (the form)",
    "login.post": "POST /login (CSRF, password check)",
    "logout": "POST /logout",
    "client.overview": "client: overview `/portal`",
    "client.growth": "client: growth chart partial (HTMX, random range)",
    "client.metric": "client: metric chart partial (HTMX, random metric)",
    "client.platform": "client: platform page `/portal/analytics/<platform>`",
    "client.content": "client: content table partial (HTMX, random sort)",
    "client.notifications": "client: notifications list poll (HTMX)",
    "client.badge": "client: notifications badge poll",
    "coach.clients": "coach: client list (50 clients)",
    "coach.client": "coach: client page",
    "coach.portfolio": "coach: portfolio (50 clients, random range)",
    "coach.alerts": "coach: alert feed",
    "coach.badge": "coach: alerts badge poll",
    "admin.clients": "admin: client list (all clients)",
    "admin.client": "admin: client page",
    "admin.portfolio": "admin: portfolio (all clients, random range)",
    "admin.alerts": "admin: alert feed",
    "admin.badge": "admin: alerts badge poll",
}


def set_passwords(admins: int) -> None:
    """``admins`` admin users, and one password for every user (hashed once, written in one statement)."""
    from sqlalchemy import text
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import Role
    from app.services import accounts

    for k in range(admins):
        accounts.create_user(f"admin{k}@bench.example.com", f"Bench Admin {k}", Role.ADMIN, None)
    db.session.execute(text("UPDATE users SET password_hash = :h"), {"h": generate_password_hash(PASSWORD)})
    db.session.commit()


def start_gunicorn(
    env: dict[str, str], processes: int, log: Path, own_session: bool
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn with the project's ``gunicorn.conf.py``, bound to a free loopback port (``--bind`` overrides
    the config's ``0.0.0.0``: nothing outside this machine is offered the port)."""
    from bench.sync import detached, free_port, stop_all, wait_http

    port = free_port()
    genv = {
        **env,
        # plain-http localhost: development only relaxes the Secure / __Host- cookie flags (app/config.py)
        "APP_ENV": "development",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(processes),
        "LOG_LEVEL": "INFO",  # the access line of every request, with its X-Request-ID and duration
    }
    cmd = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=genv,  # noqa: S603
        stdout=open(log, "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        **detached(own_session),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", seconds=60)
        import requests

        ready = requests.get(f"{url}/readyz", timeout=10)
        if ready.status_code != 200:
            raise SystemExit(f"gunicorn not ready: {ready.status_code} {ready.text[:200]}")
    except BaseException:
        stop_all([proc], grace=5)
        raise
    return proc, url


def warm_up(host: str, spec: dict[str, Any], rounds: int = 3) -> float:
    """Unmeasured: one client, one coach and one admin log in and open each page ``rounds`` times, so the
    gunicorn processes have imported and compiled what the pages need (a serving process is warm; a
    deploy's first requests are not what this bench measures). Raises on any unexpected answer."""
    import re

    import requests

    started = time.monotonic()
    client_email, platform = spec["clients"][0]
    who = [(client_email, "/portal"), ("coach0@bench.example.com", "/admin/clients")]
    if spec["admins"]:
        who.append((spec["admins"][0], "/admin/clients"))
    hx = {"HX-Request": "true", "HX-Target": "growth-chart"}
    for email, home in who:
        http = requests.Session()
        form = http.get(f"{host}/login", timeout=60)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise SystemExit(f"warm-up: no CSRF token in the login form ({form.status_code})")
        data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
        landed = http.post(f"{host}/login", data=data, timeout=60)
        if landed.status_code != 200 or not landed.url.endswith(home):
            raise SystemExit(f"warm-up: {email} logged in to {landed.url} ({landed.status_code})")
        if home == "/portal":
            pages = [("/portal", {}), ("/portal/analytics?range=90d", hx), (f"/portal/analytics/{platform}", {})]
            pages.append(("/portal/notifications/badge", {}))
        else:
            ids = re.findall(r'href="/admin/clients/(\d+)"', landed.text)
            pages = [(f"/admin/clients/{ids[0]}", {}), ("/admin/portfolio?range=30d", {}), ("/admin/alerts", {})]
            pages.append(("/admin/alerts/badge", {}))
        for _ in range(rounds):
            for url, headers in pages:
                resp = http.get(f"{host}{url}", headers=headers, allow_redirects=False, timeout=60)
                if resp.status_code != 200:
                    raise SystemExit(f"warm-up: {email} GET {url}: {resp.status_code}")
    return time.monotonic() - started


def autogroup() -> str:
    """The kernel's autogroup setting (1: CPU time is shared between sessions first, then within each)."""
    flag = Path("/proc/sys/kernel/sched_autogroup_enabled")
    return flag.read_text().strip() if flag.exists() else "n/a"


class CpuMeter:
    """CPU seconds used by named groups of process trees, and by the whole box, between two readings."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups

    def read(self) -> dict[str, float]:
        import psutil

        out: dict[str, float] = {}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for p in procs:
                    try:
                        t = p.cpu_times()
                        total += t.user + t.system
                    except psutil.Error:
                        pass
            out[name] = total
        me = psutil.Process().cpu_times()
        out["bench (this process)"] = me.user + me.system
        pg = 0.0
        for p in psutil.process_iter(["name", "cpu_times"]):
            if p.info["name"] in ("postgres", "postmaster") and p.info["cpu_times"] is not None:
                pg += p.info["cpu_times"].user + p.info["cpu_times"].system
        out["PostgreSQL (the whole server)"] = pg
        box = psutil.cpu_times()
        out["_busy"] = sum(box) - box.idle - getattr(box, "iowait", 0.0)
        return out


def percentile_p95(xs: list[float]) -> float:
    from bench.pages import p95

    return float(p95(xs))


def server_lines(
    log: Path,
) -> tuple[dict[str, list[float]], Counter[str], list[str], Counter[str], dict[str, float]]:
    """From gunicorn's JSON log: server durations per page key, statuses, ERROR/CRITICAL messages, access
    lines per key, and when the app started each request (by request id: the end less the duration)."""
    from datetime import datetime

    durations: dict[str, list[float]] = defaultdict(list)
    app_start: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    errors: list[str] = []
    seen: Counter[str] = Counter()
    for raw in log.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(raw)
        except ValueError:
            if raw.strip():
                errors.append(f"(not JSON) {raw[:200]}")
            continue
        if rec.get("level") in ("ERROR", "CRITICAL"):
            errors.append(f"{rec.get('logger')}: {rec.get('msg', '')[:200]}")
        if rec.get("event") == "request":
            statuses[str(rec.get("status"))] += 1
            rid = str(rec.get("request_id", ""))
            if rid.startswith("load."):
                key = rid[5:].rsplit(".", 1)[0]
                seen[key] += 1
                durations[key].append(float(rec.get("duration_ms", 0.0)))
                end = datetime.fromisoformat(rec["at"]).timestamp()
                app_start[rid] = end - float(rec.get("duration_ms", 0.0)) / 1000
    return durations, statuses, errors, seen, app_start


def worker_errors(instance: Path) -> int:
    n = 0
    for log in instance.glob("worker-load-*.log"):
        for raw in log.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            n += rec.get("level") in ("ERROR", "CRITICAL")
    return n


def sync_outcomes() -> Counter[str]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.sync import SyncRun

    db.session.rollback()
    rows = db.session.execute(
        select(SyncRun.status, func.count()).where(SyncRun.trigger == TRIGGER).group_by(SyncRun.status)
    ).all()
    return Counter({str(status): int(n) for status, n in rows})


def finished_at(samples: list[tuple[float, int, float]], t: float) -> int:
    """Syncs finished by wall time ``t``: the last sample taken at or before it."""
    before = [done for at, done, _ in samples if at <= t]
    return before[-1] if before else 0


def report(
    res: dict[str, Any],
    log: Path,
    instance: Path,
    samples: list[tuple[float, int, float]],
    cpu: tuple[tuple[float, dict[str, float]], tuple[float, dict[str, float]]],
    ctx: dict[str, Any],
) -> bool:
    """Print the tables; True when the run had zero errors."""
    durations, server_status, server_errors, seen, app_start = server_lines(log)
    window = res["stop_at"] - res["started"]
    print(
        f"\n== {sum(res['users'].values())} users ({', '.join(f'{r} {n}' for r, n in res['users'].items())}) "
        f"for {window:.0f} s (+{res['ended'] - res['stop_at']:.1f} s to finish requests in flight), "
        f"think time {ctx['think']}, locust {res['locust']}"
    )
    print("\n| page | requests | failures | p50 ms | p95 ms | max ms | server p95 ms |\n|---|---|---|---|---|---|---|")
    failures_by_name: Counter[str] = Counter()
    for name, _, n in res["failures"]:
        failures_by_name[name] += n
    total = 0
    for key, label in PAGES.items():
        xs = res["times"].get(key)
        if not xs:
            continue
        total += len(xs)
        srv = durations.get(key) or [0.0]
        print(
            f"| {label} | {len(xs)} | {failures_by_name[key]} | {statistics.median(xs):.0f} | "
            f"{percentile_p95(xs):.0f} | {max(xs):.0f} | {percentile_p95(srv):.0f} |"
        )
    every = [x for xs in res["times"].values() for x in xs]
    print(
        f"| **all** | {total} | {sum(failures_by_name.values())} | {statistics.median(every):.0f} | "
        f"{percentile_p95(every):.0f} | {max(every):.0f} | "
        f"{percentile_p95([d for ds in durations.values() for d in ds] or [0.0]):.0f} |"
    )
    sent = sum(res["sent"].values())
    logged = sum(seen.values())
    fivexx = sum(n for code, n in server_status.items() if code.startswith("5"))
    client_5xx = sum(n for v in res["statuses"].values() for code, n in v.items() if code.startswith("5"))
    no_response = sum(v.get("0", 0) for v in res["statuses"].values())
    n_fail = sum(failures_by_name.values())
    print(
        f"\nthroughput {total / (res['ended'] - res['started']):.1f} requests/s; "
        f"errors: {n_fail} failed requests (client side: {client_5xx} HTTP 5xx, {no_response} without a response "
        f"— timeouts, refused or reset connections); server side: {fivexx} access lines with a 5xx, "
        f"{len(server_errors)} ERROR/CRITICAL records, {logged} of {sent} requests sent have an access line"
    )
    if res.get("unfinished"):
        print(f"   requests still in flight {ctx['timeout']:.0f} s after the window: {res['unfinished']}")
    waits = [(app_start[rid] - start) * 1000 for start, _, _, rid in res["timeline"] if rid in app_start]
    if waits:
        print(
            f"waiting before the app started a request (from the client's send to the app's first hook: the "
            f"connection queued in gunicorn, its thread scheduled): p50 {statistics.median(waits):.0f} ms, "
            f"p95 {percentile_p95(waits):.0f} ms, max {max(waits):.0f} ms"
        )
    for name, reason, n in res["failures"][:15]:
        print(f"   failure x{n}: {name}: {reason}")
    for line in server_errors[:15]:
        print(f"   server: {line}")

    t0, t1 = res["started"], res["stop_at"]
    d0, d1 = finished_at(samples, t0), finished_at(samples, t1)
    outcomes = sync_outcomes()
    done_all = [at for at, done, _ in samples if res["queued"] and done >= res["queued"]]
    drained = (
        f"all {res['queued']} finished {done_all[0] - res['fanout_at']:.0f} s after the fan-out"
        if done_all
        else (f"{samples[-1][1] if samples else 0} of {res['queued']} finished when the bench stopped waiting")
    )
    print(
        f"\nsyncs: fan-out of {res['queued']} daily syncs {t0 - res['fanout_at']:.1f} s before the users started; "
        f"{d0} finished at the window's start, {d1} at its end: {d1 - d0} in {window:.0f} s = "
        f"{(d1 - d0) / window * 60:.0f} syncs/min; {drained}; outcomes {dict(outcomes)}; "
        f"{worker_errors(instance)} ERROR records in the worker logs"
    )
    timeline(res, samples)
    loads = [load for at, _, load in samples if t0 <= at <= t1]
    print(
        f"load average (1 min): {ctx['load_before']:.2f} before the set-up, {ctx['load_start']:.2f} at the fan-out, "
        f"max {max(loads, default=0):.2f} and {loads[-1] if loads else 0:.2f} at the end of the window "
        f"({os.cpu_count()} cores)"
    )
    (a0, c0), (a1, c1) = cpu
    span = max(1e-9, a1 - a0)
    ours = 0.0
    parts = []
    for name in c0:
        if name.startswith("_"):
            continue
        used = max(0.0, c1.get(name, 0.0) - c0[name])
        ours += used
        parts.append(f"{name} {used / span:.2f}")
    busy = (c1["_busy"] - c0["_busy"]) / span
    print(
        f"CPU during the window ({span:.0f} s), in cores busy: {', '.join(parts)}; "
        f"the whole box {busy:.2f} of {os.cpu_count()}, "
        f"everything else (other work on the box) {max(0.0, busy - ours / span):.2f}"
    )
    return n_fail == 0 and fivexx == 0 and not server_errors and logged == sent and not res.get("unfinished")


def timeline(res: dict[str, Any], samples: list[tuple[float, int, float]], step: float = 10.0) -> None:
    """Per ``step`` seconds of the window (by request start): requests, failures, p50 / p95, the syncs that
    finished and the load average at the step's end."""
    print(
        "\n| window s | requests | failures | p50 ms | p95 ms | syncs finished | load average |"
        "\n|---|---|---|---|---|---|---|"
    )
    t0, t1 = res["started"], res["stop_at"]
    at = t0
    while at < t1 - 0.5:
        end = min(at + step, t1)
        rows = [(rt, failed) for start, rt, failed, _ in res["timeline"] if at <= start < end]
        xs = [rt for rt, _ in rows] or [0.0]
        load = [lo for t, _, lo in samples if t <= end]
        print(
            f"| {at - t0:.0f}-{end - t0:.0f} | {len(rows)} | {sum(f for _, f in rows)} | {statistics.median(xs):.0f} | "
            f"{percentile_p95(xs):.0f} | {finished_at(samples, end) - finished_at(samples, at)} | "
            f"{load[-1] if load else 0:.2f} |"
        )
        at = end


def wait_drain(samples: list[tuple[float, int, float]], expect: int, seconds: float) -> None:
    from bench.sync import finished_syncs

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = finished_syncs(TRIGGER)
        samples.append((time.time(), done, os.getloadavg()[0]))
        if done >= expect:
            return
        time.sleep(1.0)


def user_spec(args: argparse.Namespace, host: str, out: Path) -> dict[str, Any]:
    from bench.sync import PLATFORMS

    rng = random.Random(args.seed)
    staff = round(args.users * args.staff_share)
    admins = min(args.admins, staff)
    coaches = staff - admins
    clients = args.users - staff
    picked = rng.sample(range(args.connections), clients)
    return {
        "host": host,
        "password": PASSWORD,
        "seconds": args.seconds,
        "spawn_rate": args.spawn_rate,
        "think_min": args.think_min,
        "think_max": args.think_max,
        "timeout": args.timeout,
        "seed": args.seed,
        "out": str(out),
        "clients": [[f"client{i}@bench.example.com", PLATFORMS[i % len(PLATFORMS)]] for i in picked],
        "coaches": [f"coach{k % args.coaches}@bench.example.com" for k in range(coaches)],
        "admins": [f"admin{k}@bench.example.com" for k in range(admins)],
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--name", default="bench_load", help="Database created next to --url (dropped after).")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--coaches", type=int, default=20)
    parser.add_argument("--users", type=int, default=50, help="Simulated users (clients, coaches and admins).")
    parser.add_argument("--staff-share", type=float, default=0.3, help="Share of the users who are staff.")
    parser.add_argument("--admins", type=int, default=2, help="Of the staff users, this many are admins.")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--spawn-rate", type=float, default=10, help="Users started per second.")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=30, help="A request taking longer is an error.")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--fork", action="store_true", help="Forking workers (default: --no-fork, as deployed).")
    parser.add_argument("--web-processes", type=int, default=2, help="WEB_CONCURRENCY (8 threads each).")
    parser.add_argument("--latency-ms", type=int, default=100, help="Sandbox latency per call during the window.")
    parser.add_argument("--drain", type=float, default=300, help="Seconds to wait after the window for the syncs.")
    parser.add_argument(
        "--no-fanout", action="store_true", help="Queue no syncs: the same users on an idle sync tier (a baseline)."
    )
    parser.add_argument(
        "--own-sessions",
        action="store_true",
        help="Start gunicorn, each worker, the sandbox and locust in a session of its own (as bench/sync.py "
        "does); with the kernel's autogroup scheduling each session then gets an equal share of the CPU. "
        "Default: all in the bench's session, sharing the CPU per thread (bench/README.md, 'load').",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the database (the sandbox's world is not kept).")
    return parser.parse_args()


def run_window(
    args: argparse.Namespace,
    instance: Path,
    spec: dict[str, Any],
    meter: CpuMeter,
    procs: list[subprocess.Popen[Any]],
) -> tuple[dict[str, Any], list[tuple[float, int, float]], dict[str, tuple[float, dict[str, float]]]]:
    """The fan-out, then the users (a locust child process) while the syncs run; samples the syncs finished
    and the load average every 0.5 s, and the CPU counters when the users start and stop."""
    from app.jobs.sync import daily_fanout
    from bench.sync import detached, finished_syncs

    out = Path(spec["out"])
    spec_path = instance / "spec.json"
    spec_path.write_text(json.dumps(spec))
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load_users.py"), str(spec_path)],
        cwd=ROOT,  # noqa: S603
        stdout=open(instance / "locust.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        **detached(args.own_sessions),
    )
    procs.append(child)
    meter.groups["load generator (locust)"] = [child.pid]
    deadline = time.monotonic() + 120
    while not Path(f"{out}.ready").exists():  # locust imported: the users start as soon as the syncs are queued
        if child.poll() is not None or time.monotonic() > deadline:
            print((instance / "locust.log").read_text()[-3000:])
            raise SystemExit(f"the locust process did not start (exit {child.returncode})")
        time.sleep(0.1)
    fanout_at = time.time()
    queued = 0 if args.no_fanout else daily_fanout()
    Path(f"{out}.go").touch()
    samples: list[tuple[float, int, float]] = []
    marks: dict[str, tuple[float, dict[str, float]]] = {}
    deadline = time.monotonic() + args.seconds + args.timeout + 120
    while child.poll() is None and time.monotonic() < deadline:
        samples.append((time.time(), finished_syncs(TRIGGER), os.getloadavg()[0]))
        for mark in ("started", "stopped"):
            if mark not in marks and Path(f"{out}.{mark}").exists():
                marks[mark] = (time.time(), meter.read())
        time.sleep(0.5)
    if child.poll() != 0 or not out.exists() or "started" not in marks:
        print((instance / "locust.log").read_text()[-3000:])
        raise SystemExit(f"the locust process failed (exit {child.returncode})")
    marks.setdefault("stopped", (time.time(), meter.read()))
    result = json.loads(out.read_text())
    result |= {"queued": queued, "fanout_at": fanout_at}
    if args.drain and queued:
        wait_drain(samples, queued, args.drain)
    return result, samples, marks


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.cleanup import shielded, stop_on_signals

    stop_on_signals()  # SIGTERM tears down like Ctrl-C (the finally below)
    import requests
    from flask_migrate import upgrade
    from redis import Redis

    from app.redis_conn import start_embedded, stop_embedded
    from bench.sync import (
        add_new_videos,
        bench_app,
        bench_env,
        recreate_database,
        run_phase,
        setup_world,
        start_sandbox,
        start_workers,
        stop_all,
    )
    from bench.sync import report as sync_report

    load_before = os.getloadavg()[0]
    instance = Path(tempfile.mkdtemp(prefix="bench-load-"))
    db_url = recreate_database(args.url, args.name)
    procs: list[subprocess.Popen[Any]] = []  # everything started, stopped in reverse order
    ok = False
    try:
        redis_url = start_embedded(str(instance / "redis"))
        sandbox_proc, sandbox = start_sandbox(args.own_sessions)
        procs.append(sandbox_proc)
        env = bench_env(db_url, redis_url, str(instance), sandbox)
        app = bench_app(env)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            t = time.monotonic()
            ids = setup_world(app, sandbox, args.connections, coaches=args.coaches)
            set_passwords(args.admins)
            print(f"set-up: {len(ids)} connections, {args.coaches} coaches in {time.monotonic() - t:.0f} s")
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": 0}, timeout=10)
            initial = run_phase("initial", app, sandbox, env, args.workers, len(ids), "initial", no_fork=not args.fork)
            sync_report(initial)
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": args.latency_ms}, timeout=10)

            gunicorn_log = instance / "gunicorn.log"
            gunicorn, host = start_gunicorn(env, args.web_processes, gunicorn_log, args.own_sessions)
            procs.append(gunicorn)
            workers = start_workers(env, args.workers, "load", no_fork=not args.fork, own_session=args.own_sessions)
            procs.extend(workers)
            time.sleep(3.0)  # the workers import the app before the fan-out
            add_new_videos(sandbox)
            meter = CpuMeter(
                {
                    "gunicorn": [gunicorn.pid],
                    "sync workers": [w.pid for w in workers],
                    "sandbox": [sandbox_proc.pid],
                    "redis": [int(Redis.from_url(redis_url).info("server")["process_id"])],
                }
            )
            spec = user_spec(args, host, instance / "users.json")
            print(f"warm-up (unmeasured): {warm_up(host, spec):.1f} s")
            load_start = os.getloadavg()[0]
            result, samples, marks = run_window(args, instance, spec, meter, procs)
            print(
                f"\n(gunicorn {args.web_processes} x 8 threads at {host}; {args.workers} "
                f"{'forking' if args.fork else 'no-fork'} sync workers; {args.latency_ms} ms per platform call; "
                f"{'a session per process' if args.own_sessions else 'one session'}; "
                f"sched_autogroup_enabled {autogroup()})"
            )
            ok = report(
                result,
                gunicorn_log,
                instance,
                samples,
                (marks["started"], marks["stopped"]),
                {
                    "load_before": load_before,
                    "load_start": load_start,
                    "think": f"{args.think_min:g}-{args.think_max:g} s",
                    "timeout": args.timeout,
                },
            )
            print(f"\nZERO ERRORS: {'yes' if ok else 'NO'}")
    finally:
        with shielded():  # a second Ctrl-C waits for the clean-up
            stop_all(list(reversed(procs)), grace=20)
            stop_embedded()
            if not args.keep:
                recreate_database(args.url, args.name, drop_only=True)
            if ok and not args.keep:
                shutil.rmtree(instance, ignore_errors=True)
            else:
                print(f"logs kept in {instance}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
