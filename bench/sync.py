"""Sync throughput: N connections against the platform sandbox with injected latency, real RQ workers.

    .venv/bin/python bench/sync.py --connections 100 [--workers 4] [--latency-ms 100]
                                   [--url postgresql://postgres@127.0.0.1:5432/postgres]

Set-up (not timed): a PostgreSQL database ``bench_sync`` (created next to ``--url``, dropped at the end
unless ``--keep``) migrated with Alembic, the embedded Redis, the sandbox in its own process (real clock,
its app-wide Meta/TikTok throttles lifted so the bench measures our side), N sandbox creators round-robin
over Instagram / TikTok / YouTube (30 days of history, a post every 5 days) and N client users, each
connected through the product's own OAuth round trip (``app.demo.connections._connect``).

Timed phases, each with ``--workers`` ``python worker.py --queues sync`` processes and ``--latency-ms`` on
every platform call:

1. **initial**: the initial syncs the connect queued (backfill included);
2. **daily**: the 03:00 fan-out (``daily_fanout``) after 50 new videos were added to the first 10 YouTube
   channels, run as a day later for the comment step (posts due on the comment schedule are read;
   ``--same-day`` runs it as on the initial sync's day).

Reported per phase: wall time, connections per minute, platform calls and YouTube quota units per
connection (from the SyncRun rows and the sandbox's call log), outcomes, and peak RSS of one worker
process tree (worker + work-horse + scheduler, sampled every second with psutil), and the peak sums of
RSS, PSS and USS over every worker process (PSS/USS every 2 s: forked workers share pages).
``--pool`` starts the workers as one ``worker.py --processes N`` (one start-up, N forked workers).

Everything it starts (workers, sandbox, the embedded redis-server) is stopped at the end, also on failure
or Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import requests
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from app.models.platforms import CONNECTABLE  # noqa: E402

#: a mix entry that is not a platform: a LinkedIn Company Page, connected through the Page picker by the
#: Page's administrator (the bench then runs with ``LINKEDIN_ORGANIZATIONS`` on)
LINKEDIN_PAGE = "linkedin_page"
#: the mix, in turn (client ``i`` on ``PLATFORMS[i % len(PLATFORMS)]``): every connectable platform and
#: LinkedIn Company Pages unless ``--platforms`` names fewer (``instagram,tiktok,youtube`` repeats the runs
#: before X, LinkedIn and Facebook; ``instagram,tiktok,youtube,x,facebook,linkedin`` the six of issue 14)
PLATFORMS: tuple[str, ...] = (*CONNECTABLE, LINKEDIN_PAGE)
REDIRECT_BASE = "http://127.0.0.1:5000"
SANDBOX_SCRIPT = """
import sys
from app.sandbox import create_app
from app.sandbox.serving import serve
app = create_app({"META_APP_HOURLY_LIMIT": 10**9, "META_BUC_DAILY_LIMIT": 10**9,
                  "TIKTOK_RATE_LIMIT_PER_MIN": 10**9, "YT_QUOTA_LIMITS": {"default": 10**9, "search": 10**9,
                  "batchGetStats": 10**9}, "CALL_LOG_MAX": 500_000})
serve(app, "127.0.0.1", int(sys.argv[1]), log_requests=False)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_url(url: str, db: str) -> str:
    return f"{url.rpartition('/')[0]}/{db}"


def recreate_database(url: str, name: str, drop_only: bool = False) -> str:
    eng = create_engine(
        server_url(url, "postgres").replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return server_url(url, name).replace("postgresql://", "postgresql+psycopg://", 1)


def wait_http(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


class PeakRss:
    """Samples the RSS of each worker's process tree; keeps the largest tree and single process, and the
    largest sum over every tree (all workers: with ``--pool`` there is one tree, the pool's).

    RSS counts a page shared by several processes in each of them, and the pool's workers share the
    parent's pages (imports, the app) after the fork, so the sum of RSS overstates what they take. Every
    ``full_every`` samples the tree is also read from ``/proc/<pid>/smaps_rollup``: PSS (each shared page
    divided among the processes sharing it; the sum is what the workers take together) and USS (pages
    only that process has); the peaks of their sums are kept."""

    def __init__(self, pids: list[int], full_every: int = 2) -> None:
        self.pids = pids
        self.tree = 0
        self.single = 0
        self.total = 0  # peak of the RSS summed over every tree
        self.pss = 0  # peak of the PSS summed over every tree (sampled every ``full_every`` x 1 s)
        self.uss = 0
        self.processes = 0  # most processes seen at once over every tree
        self.cpu: dict[int, float] = {}  # pid -> CPU seconds of its tree at the last sample
        self.full_every = full_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            full = n % self.full_every == 0
            n += 1
            total = pss = uss = count = 0
            for pid in self.pids:
                try:
                    proc = psutil.Process(pid)
                    members = [proc, *proc.children(recursive=True)]
                    rss = [p.memory_info().rss for p in members]
                    times = [p.cpu_times() for p in members]
                except psutil.Error:
                    continue
                if full:
                    for p in members:
                        with contextlib.suppress(psutil.Error):
                            info = p.memory_full_info()
                            pss, uss = pss + info.pss, uss + info.uss
                self.cpu[pid] = sum(t.user + t.system + t.children_user + t.children_system for t in times)
                self.tree = max(self.tree, sum(rss))
                self.single = max(self.single, max(rss))
                total, count = total + sum(rss), count + len(members)
            self.total = max(self.total, total)
            self.processes = max(self.processes, count)
            if full:
                self.pss, self.uss = max(self.pss, pss), max(self.uss, uss)
            # once a second: psutil walks /proc for each tree's children, and 5 samples a second of 12
            # trees were most of the bench's own 387 s of CPU in the 30,000 run, on the workers' 2 cores
            time.sleep(1.0)

    def cpu_seconds(self) -> float:
        """CPU of every worker tree so far (user + system, reaped children included)."""
        return sum(self.cpu.values())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stop_all(procs: list[subprocess.Popen[Any]], grace: float = 20.0) -> None:
    """Stop processes started ``detached``: SIGTERM to each group, then SIGKILL to whatever
    is left of each process tree after ``grace`` seconds (RQ's work-horse and scheduler included)."""
    trees: list[list[psutil.Process]] = []
    for proc in procs:
        try:
            root = psutil.Process(proc.pid)
            trees.append([root, *root.children(recursive=True)])
            os.killpg(proc.pid, signal.SIGTERM)
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for tree in trees:
        for member in tree:
            try:
                if member.is_running():  # psutil checks the start time: never a reused pid
                    member.kill()
            except psutil.NoSuchProcess:
                pass
    for proc in procs:
        proc.wait()


def setup_world(
    app: Any,
    sandbox: str,
    n: int,
    coaches: int = 1,
    platforms: tuple[str, ...] = CONNECTABLE,
    account_ids: dict[int, str] | None = None,
    indices: list[int] | None = None,
) -> list[int]:
    """N sandbox creators and N clients, each connected through the product's OAuth round trip.

    Client ``i`` is ``client{i}@bench.example.com`` on ``platforms[i % len(platforms)]`` (``linkedin_page``: a
    LinkedIn Company Page, which needs ``LINKEDIN_ORGANIZATIONS`` on in ``app``), coached by
    ``coach{i % coaches}@bench.example.com``; no passwords are set. ``account_ids``, if given, gets each
    connection's sandbox account id. ``indices``: connect only the clients with these
    ``i`` (in this order), each as in a run of all of them."""
    from app.demo.connections import _connect
    from app.extensions import db
    from app.models import Role
    from app.services import accounts

    http = requests.Session()
    staff = [
        accounts.create_user(f"coach{k}@bench.example.com", f"Bench Coach {k}", Role.COACH, None)
        for k in range(coaches)
    ]
    ids: list[int] = []
    started = time.monotonic()
    total = n if indices is None else len(indices)
    for done, i in enumerate(range(n) if indices is None else indices):
        entry = platforms[i % len(platforms)]
        platform = "linkedin" if entry == LINKEDIN_PAGE else entry
        spec = {
            "platform": platform,
            "username": f"bench{i}",
            "followers": 1000 + 37 * i,
            "seed": i,
            "history_days": 30,
            "post_every_days": 5.0,
        }
        if platform == "instagram":
            spec["account_type"] = "MEDIA_CREATOR"
        if entry == LINKEDIN_PAGE:  # administers one Page (a third of the member's followers): the picker's first
            spec["account_type"] = "ADMINISTRATOR"
        resp = http.post(f"{sandbox}/_sandbox/accounts", json=spec, timeout=30)
        resp.raise_for_status()
        account = resp.json()
        user = accounts.create_user(
            f"client{i}@bench.example.com", f"Client {i}", Role.CLIENT, None, coach=staff[i % coaches]
        )
        conn_id = _connect(http, user, {**account, "platform": platform})
        if conn_id is None:
            raise SystemExit(f"connect failed for {account}")
        ids.append(conn_id)
        if account_ids is not None:
            account_ids[conn_id] = account["id"]
        if (done + 1) % 100 == 0:
            print(f"  set-up: {done + 1}/{total} connected ({time.monotonic() - started:.0f} s)", flush=True)
    db.session.commit()
    return ids


def detached(own_session: bool = True) -> dict[str, Any]:
    """Popen arguments for a process ``stop_all`` can stop with its children: the leader of its own process
    group, so a Ctrl-C in the terminal reaches only the bench. ``own_session`` also gives it its own session;
    where the kernel groups by session for CPU scheduling (autogroup, /proc/sys/kernel/sched_autogroup_enabled),
    every such process then gets an equal share of the CPU whatever its number of threads; without it the
    process stays in the bench's session and group and shares the CPU per thread with the others started so."""
    return {"start_new_session": True} if own_session else {"process_group": 0}


def start_sandbox(own_session: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """The sandbox in its own process on a free port (throttles lifted, see ``SANDBOX_SCRIPT``)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SANDBOX_SCRIPT, str(port)],
        cwd=ROOT,  # noqa: S603
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **detached(own_session),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/_sandbox/clock")
    except BaseException:
        stop_all([proc], grace=5)
        raise
    return proc, url


def bench_env(db_url: str, redis_url: str, instance: str, sandbox: str, linkedin_pages: bool = False) -> dict[str, str]:
    """The environment of the processes a bench starts (workers, gunicorn): fresh secrets, its own stores
    (``linkedin_pages``: LinkedIn Company Pages offered, ``LINKEDIN_ORGANIZATIONS``)."""
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return {
        **({"LINKEDIN_ORGANIZATIONS": "true"} if linkedin_pages else {}),
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SYNC_"))},
        "APP_ENV": "test",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": instance,
        "SECRET_KEY": os.urandom(32).hex(),
        "TOKEN_ENCRYPTION_KEYS": f"k1:{key}",
        "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
        "PLATFORM_SANDBOX_URL": sandbox,
        "OAUTH_REDIRECT_BASE": REDIRECT_BASE,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def bench_app(env: dict[str, str]) -> Any:
    """The app in the bench's own process, configured like the processes it starts (``env``)."""
    from app import create_app

    return create_app(
        {
            "APP_ENV": "test",
            "TESTING": True,
            "SECRET_KEY": env["SECRET_KEY"],
            "TOKEN_ENCRYPTION_KEYS": env["TOKEN_ENCRYPTION_KEYS"],
            "TOKEN_ENCRYPTION_ACTIVE_KEY": "k1",
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "INSTANCE_PATH": env["INSTANCE_PATH"],
            "PLATFORM_SANDBOX_URL": env["PLATFORM_SANDBOX_URL"],
            "OAUTH_REDIRECT_BASE": REDIRECT_BASE,
            "LOG_LEVEL": "WARNING",
            "LINKEDIN_ORGANIZATIONS": env.get("LINKEDIN_ORGANIZATIONS") == "true",
        }
    )


def start_workers(
    env: dict[str, str], workers: int, name: str, no_fork: bool = False, own_session: bool = True, pool: bool = False
) -> list[subprocess.Popen[Any]]:
    """``workers`` x ``python worker.py --queues sync`` (``detached``, for ``stop_all``), logging to
    ``INSTANCE_PATH/worker-<name>-<i>.log``; with ``pool``, one ``python worker.py --queues sync
    --processes <workers>`` that starts once and forks the workers (``worker-<name>-pool.log``; each
    worker is in a session of its own, as the separate processes are with ``own_session``)."""
    logdir = Path(env["INSTANCE_PATH"])
    cmd = [sys.executable, "worker.py", "--queues", "sync", *(["--no-fork"] if no_fork else [])]
    if pool:
        return [
            subprocess.Popen(
                [*cmd, "--processes", str(workers)],
                cwd=ROOT,
                env=env,  # noqa: S603
                stdout=open(logdir / f"worker-{name}-pool.log", "wb"),  # noqa: SIM115 - for the pool's life
                stderr=subprocess.STDOUT,
                **detached(own_session),
            )
        ]
    return [
        subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,  # noqa: S603
            stdout=open(logdir / f"worker-{name}-{i}.log", "wb"),  # noqa: SIM115 - the worker's stdout for its life
            stderr=subprocess.STDOUT,
            **detached(own_session),
        )
        for i in range(workers)
    ]


def finished_syncs(trigger: str) -> int:
    """Connections whose ``trigger`` sync has ended for the phase (succeeded, partial, failed, or deferred:
    a budget spent defers a sync to its reset, hours away; the 30,000 run waited for 2,802 of them as if
    they were still to come); needs an app context."""
    from app.extensions import db
    from app.models.sync import SyncRun

    db.session.rollback()  # a fresh snapshot
    return (
        db.session.execute(
            select(func.count(func.distinct(SyncRun.connection_id))).where(
                SyncRun.trigger == trigger, SyncRun.status.in_(["succeeded", "partial", "failed", "deferred"])
            )
        ).scalar()
        or 0
    )


def add_new_videos(sandbox: str, channels: int = 10, videos: int = 50) -> None:
    """``videos`` new videos on each of the first ``channels`` YouTube channels (published minutes ago)."""
    yt = requests.get(f"{sandbox}/_sandbox/accounts", params={"platform": "youtube"}, timeout=30).json()["accounts"]
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {
            "published_at": (now - timedelta(minutes=2 + i)).isoformat().replace("+00:00", "Z"),
            "caption": f"new {i}",
            "kind": "video",
        }
        for i in range(videos)
    ]
    for account in yt[:channels]:
        requests.patch(
            f"{sandbox}/_sandbox/accounts/{account['id']}", json={"posts": posts}, timeout=30
        ).raise_for_status()


def day_later_for_comments() -> None:
    """The daily phase as a day after the initial sync for the comment step: each post's last comment
    read moves back one day, so the aging schedule finds the posts due as it would tomorrow (the
    platform data and the sync's other steps stay on today)."""
    from app.extensions import db

    moved = db.session.execute(  # PostgreSQL only, like the rest of this benchmark
        text(
            "UPDATE content_items SET comments_synced_at = comments_synced_at - interval '1 day' "
            "WHERE comments_synced_at IS NOT NULL"
        )
    ).rowcount
    db.session.commit()
    print(f"comment reads of {moved} posts moved back a day (the daily phase runs as a day later)")


def run_phase(
    name: str,
    app: Any,
    sandbox: str,
    env: dict[str, str],
    workers: int,
    expect: int,
    trigger: str,
    before: Callable[[], float | None] | None = None,
    timeout: float = 900,
    no_fork: bool = False,
    sandbox_pid: int | None = None,
    pool: bool = False,
) -> dict[str, Any]:
    from app.extensions import db
    from app.models import Connection
    from app.models.sync import SyncRun

    http = requests.Session()
    http.delete(f"{sandbox}/_sandbox/calls", timeout=10)
    procs = start_workers(env, workers, name, no_fork, pool=pool)
    try:
        rss = PeakRss([p.pid for p in procs]).__enter__()
        start = time.monotonic()  # queued jobs: the clock runs from the workers' launch (start-up included)
        if before is not None:
            # workers import the app before the fan-out: their start-up is not sync time. Twelve workers
            # need ~1.5 s of CPU each on 2 cores, so a fixed 2.3 s wait counted ~10 ms a sync of start-up
            # into the daily figure; the sample is taken once every worker is registered with RQ (idle).
            _wait_registered(env["REDIS_URL"], [p.pid for p in procs], workers)
            time.sleep(0.5)  # at least two CPU samples after the start-up
            cpu0 = rss.cpu_seconds()
            mark = before()  # may say when the queueing began: the workers start on the first job queued
            start = mark if mark is not None else time.monotonic()
        else:
            cpu0 = 0.0  # the initial phase's CPU includes the workers' start-up (~1-2 s each)
        sandbox_cpu0 = _cpu_of(sandbox_pid)
        done = 0
        while time.monotonic() - start < timeout:
            done = finished_syncs(trigger)
            if done >= expect:
                break
            # the count is a query over a growing sync_runs table: 4 a second cost 301 s of PostgreSQL CPU
            # in the 30,000 run (bench/README.md, "30,000 connections, run"); 0.25 s up to 2,500 syncs, 2 s
            # from 20,000 (a 30,000 phase lasts ~30-40 min: the 2 s are well inside the noise)
            time.sleep(min(2.0, max(0.25, expect / 10_000)))
        wall = time.monotonic() - start
        time.sleep(0.3)
        cpu = rss.cpu_seconds() - cpu0
        sandbox_cpu = _cpu_of(sandbox_pid) - sandbox_cpu0
        rss.__exit__()
    finally:
        stop_all(procs)  # also when the bench fails or is interrupted mid-phase
    db.session.rollback()
    rows = db.session.execute(select(SyncRun).where(SyncRun.trigger == trigger)).scalars().all()
    calls_log = http.get(f"{sandbox}/_sandbox/calls", timeout=60).json()
    platforms = {
        cid: LINKEDIN_PAGE if kind == "organization" else platform
        for cid, platform, kind in db.session.execute(
            select(Connection.id, Connection.platform, Connection.account_type)
        ).tuples()
    }
    by_platform: dict[str, Counter[str]] = {}
    for r in rows:
        platform = platforms[r.connection_id]
        c = by_platform.setdefault(platform, Counter())
        c["runs"] += 1
        c[f"status:{r.status}"] += 1
        c["calls"] += r.calls or 0
        c["units"] += r.quota_units or 0
        c["max_units"] = max(c["max_units"], r.quota_units or 0)
    return {
        "phase": name,
        "wall_s": wall,
        "done": done,
        "expect": expect,
        "per_min": done / wall * 60 if wall else 0.0,
        "sandbox_calls": calls_log.get("count"),
        # YouTube's only: the log's own sum also counts X's post reads, which the sandbox keeps as units too
        "sandbox_units": sum(c["quota_units"] for c in calls_log.get("calls", []) if c.get("platform") == "youtube"),
        "by_platform": by_platform,
        "worker_cpu_ms_per_sync": cpu / max(1, done) * 1000,
        "sandbox_cpu_ms_per_sync": sandbox_cpu / max(1, done) * 1000 if sandbox_pid else None,
        "sandbox_rss_mb": _rss_of(sandbox_pid) / 2**20,
        "load": os.getloadavg()[0],
        "peak_tree_mb": rss.tree / 2**20,
        "peak_proc_mb": rss.single / 2**20,
        "peak_total_rss_mb": rss.total / 2**20,
        "peak_total_pss_mb": rss.pss / 2**20,
        "peak_total_uss_mb": rss.uss / 2**20,
        "processes": rss.processes,
        "pool": pool,
    }


def _wait_registered(redis_url: str, roots: list[int], workers: int, timeout: float = 120.0) -> None:
    """Until ``workers`` RQ workers of the process trees ``roots`` are registered with RQ (their start-up
    done, waiting for jobs): the started processes themselves, or a pool's forked workers. A worker of the
    last phase that was killed, not stopped, may still be listed, so the pids are matched."""
    from redis import Redis
    from rq import Worker

    def ours() -> set[int]:
        pids = set(roots)
        for root in roots:
            with contextlib.suppress(psutil.Error):
                pids |= {c.pid for c in psutil.Process(root).children(recursive=True)}
        return pids

    conn = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while len(ours() & {w.pid for w in Worker.all(connection=conn)}) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"not every one of the {workers} workers registered within {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        conn.close()


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) of process ``pid`` so far; 0 without one."""
    if pid is None:
        return 0.0
    try:
        t = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)


def _rss_of(pid: int | None) -> int:
    try:
        return int(psutil.Process(pid).memory_info().rss) if pid is not None else 0
    except psutil.Error:
        return 0


def report(res: dict[str, Any]) -> None:
    print(
        f"\n== {res['phase']}: {res['done']}/{res['expect']} connections in {res['wall_s']:.1f} s "
        f"-> {res['per_min']:.0f} connections/min"
    )
    print(
        f"   sandbox saw {res['sandbox_calls']} platform calls, {res['sandbox_units']} YouTube units; "
        f"peak RSS: worker tree {res['peak_tree_mb']:.0f} MB, largest process {res['peak_proc_mb']:.0f} MB"
    )
    print(f"   worker CPU per sync: {res['worker_cpu_ms_per_sync']:.0f} ms (all worker trees / syncs)")
    print(
        f"   workers {'as one pool' if res['pool'] else 'as separate processes'} ({res['processes']} processes at "
        f"most): peak sums RSS {res['peak_total_rss_mb']:.0f} MB, PSS {res['peak_total_pss_mb']:.0f} MB, "
        f"USS {res['peak_total_uss_mb']:.0f} MB"
    )
    if res.get("sandbox_cpu_ms_per_sync") is not None:
        print(
            f"   sandbox CPU per sync: {res['sandbox_cpu_ms_per_sync']:.0f} ms (RSS {res['sandbox_rss_mb']:.0f} MB); "
            f"load average at the end {res['load']:.1f}"
        )
    for platform, c in sorted(res["by_platform"].items()):
        runs = max(1, c["runs"])
        statuses = ", ".join(f"{k[7:]} {v}" for k, v in sorted(c.items()) if k.startswith("status:"))
        print(
            f"   {platform:13} runs {c['runs']:5}  calls/conn {c['calls'] / runs:5.1f}  "
            f"units/conn {c['units'] / runs:4.2f} (max {c['max_units']})  [{statuses}]"
        )


def compare_with_seed(app: Any, sandbox: str, env: dict[str, str], args: Any, sample: list[int]) -> None:
    """The same connections synced again, in the same state (already synced today), by the seed's loop
    and then by ours; both at ``--latency-ms``. Prints the ratios."""
    from sync_seed import run_seed_loop

    from app.extensions import db
    from app.models.sync import SyncRun
    from app.queueing.dispatch import enqueue_sync

    http = requests.Session()
    http.delete(f"{sandbox}/_sandbox/calls", timeout=10)
    seed_wall, seed_cpu = run_seed_loop(sample, trigger="operator")
    seed_calls = http.get(f"{sandbox}/_sandbox/calls", timeout=60).json()["calls"]

    def enqueue() -> None:
        for cid in sample:
            enqueue_sync(cid, "manual", job_id=f"bench-ours-{cid}")

    ours = run_phase(
        "ours (same connections)",
        app,
        sandbox,
        env,
        args.workers,
        len(sample),
        "manual",
        before=enqueue,
        no_fork=args.no_fork,
        pool=args.pool,
    )
    db.session.rollback()

    def units(trigger: str) -> tuple[int, int, int]:
        rows = db.session.execute(
            select(SyncRun.calls, SyncRun.quota_units).where(
                SyncRun.trigger == trigger, SyncRun.connection_id.in_(sample)
            )
        ).all()
        return len(rows), sum(r.calls or 0 for r in rows), sum(r.quota_units or 0 for r in rows)

    n_seed, calls_seed, units_seed = units("operator")
    n_ours, calls_ours, units_ours = units("manual")
    searches = sum(1 for c in seed_calls if "/youtube/v3/search" in str(c.get("path") or c.get("url") or ""))
    from app.models import Connection

    channels = (
        db.session.scalar(select(func.count()).where(Connection.id.in_(sample), Connection.platform == "youtube")) or 0
    )
    k = len(sample)
    print(f"\n== the seed's loop vs ours on the same {k} connections (synced again, {args.latency_ms} ms per call)")
    print(
        f"   seed: {n_seed} syncs one after another in {seed_wall:.1f} s ({seed_wall / k * 1000:.0f} ms each), "
        f"CPU {seed_cpu / k * 1000:.0f} ms/sync, {calls_seed} calls, {units_seed} Data API units "
        f"of which {searches} search.list calls"
    )
    print(
        f"   ours: {n_ours} syncs on {args.workers} workers in {ours['wall_s']:.1f} s, "
        f"{ours['worker_cpu_ms_per_sync']:.0f} ms worker CPU/sync, {calls_ours} calls, {units_ours} units"
    )
    print(
        f"   speed-up (seed wall / ours): {seed_wall / max(ours['wall_s'], 1e-9):.1f}x; at N connections the seed "
        f"loop takes N x {seed_wall / k:.2f} s (sequential: linear)"
    )
    classic = units_seed - searches + 100 * searches  # search.list at 100 units, as before its own bucket
    print(
        f"   YouTube units per channel: seed {units_seed / max(channels, 1):.2f} (search.list in its own bucket "
        f"of 100 calls a day: at most 100 channels a day; {classic / max(channels, 1):.1f} at the old 100 units "
        f"a search), ours {units_ours / max(channels, 1):.2f}; saving {classic / max(units_ours, 1):.1f}x at "
        f"100 units a search, {units_seed / max(units_ours, 1):.2f}x counting one"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument(
        "--platforms",
        default=",".join(PLATFORMS),
        help="Comma-separated platforms connected in turn (default: all six and 'linkedin_page', a LinkedIn "
        "Company Page connected through the Page picker; 'instagram,tiktok,youtube' repeats the runs measured "
        "before X, LinkedIn and Facebook Pages existed, 'instagram,tiktok,youtube,x,facebook,linkedin' the "
        "six-platform runs of issue 14).",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument(
        "--initial-latency-ms",
        type=int,
        default=None,
        help="Latency during the initial phase (default: --latency-ms; 0 makes set-up quick).",
    )
    parser.add_argument("--no-fork", action="store_true", help="Start the workers with --no-fork (no horse per job).")
    parser.add_argument(
        "--pool",
        action="store_true",
        help="Start the --workers as one pool, `python worker.py --processes N` (one start-up, N forked "
        "workers), instead of N separate `python worker.py` processes.",
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="bench_sync", help="Database created next to --url (dropped unless --keep).")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--seed-sample",
        type=int,
        default=60,
        help="Connections (the platforms in turn) synced again by both plans after the daily phase: the seed's "
        "loop (one after another in one process, YouTube through search.list: bench/sync_seed.py) and ours "
        "(the workers); 0 skips the comparison.",
    )
    parser.add_argument(
        "--same-day",
        action="store_true",
        help="Run the daily phase as on the day of the initial sync (no post due for its comments); by default "
        "it runs as a day later: every post's last comment read is moved back a day, so the posts due on the "
        "comment schedule (app/sync/aging.py) are read as they would be.",
    )
    parser.add_argument(
        "--replicate-from",
        type=int,
        default=0,
        metavar="K",
        help="Connect and initially sync only K connections (a multiple of the number of entries in "
        "--platforms, so the mix is a plain run's), then copy them into the other connections up to "
        "--connections: their sandbox accounts through POST /_sandbox/replicas, the app's rows by SQL "
        "(bench/sync_replicate.py). The daily phase then runs over all of them. 0 (default): connect and "
        "sync every connection.",
    )
    args = parser.parse_args()
    from bench.cleanup import remove_folder, shielded, stop_on_signals

    stop_on_signals()  # SIGTERM (and Ctrl-C of a background run) unwinds through ``finally`` too
    from flask_migrate import upgrade

    from app.redis_conn import start_embedded, stop_embedded

    platforms = tuple(p.strip() for p in args.platforms.split(",") if p.strip())
    unknown = [p for p in platforms if p not in PLATFORMS]
    if not platforms or unknown:
        raise SystemExit(f"--platforms: choose among {', '.join(PLATFORMS)} (not {unknown or 'none'})")
    k = args.replicate_from
    if k and not (0 < k < args.connections and k % len(platforms) == 0):
        raise SystemExit(
            f"--replicate-from {k}: give a multiple of {len(platforms)} (the entries in --platforms) below "
            f"--connections ({args.connections}), e.g. {len(platforms) * 20}"
        )
    if k and args.seed_sample > k:
        raise SystemExit(f"--seed-sample {args.seed_sample} must not exceed --replicate-from {k}")
    instance = tempfile.mkdtemp(prefix="bench-sync-")
    db_url = recreate_database(args.url, args.db)
    sandbox_proc: subprocess.Popen[bytes] | None = None
    ok = False
    try:
        redis_url = start_embedded(os.path.join(instance, "redis"))
        sandbox_proc, sandbox = start_sandbox()
        env = bench_env(db_url, redis_url, instance, sandbox, linkedin_pages=LINKEDIN_PAGE in platforms)
        app = bench_app(env)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            t0 = time.monotonic()
            accounts: dict[int, str] = {}
            if k:
                from sync_replicate import plan

                chosen, template_of = plan(args.connections, k, len(platforms))
                print(f"templates: clients {', '.join(map(str, chosen[:12]))} ... {chosen[-1]} (spread over the N)")
            ids = setup_world(
                app,
                sandbox,
                k or args.connections,
                platforms=platforms,
                account_ids=accounts,
                indices=chosen if k else None,
            )
            print(f"platforms in turn: {', '.join(platforms)}")
            print(
                f"set-up: {len(ids)} connections in {time.monotonic() - t0:.0f} s ({args.workers} "
                f"{'no-fork ' if args.no_fork else ''}workers{' as one pool' if args.pool else ''}, "
                f"{args.latency_ms} ms per platform call)"
            )
            initial_ms = args.latency_ms if args.initial_latency_ms is None else args.initial_latency_ms
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": initial_ms}, timeout=10)
            initial = run_phase(
                "initial",
                app,
                sandbox,
                env,
                args.workers,
                len(ids),
                "initial",
                no_fork=args.no_fork,
                pool=args.pool,
                timeout=max(900.0, len(ids) * 1.0),  # a loaded box: ~0.5 s an initial sync
                sandbox_pid=sandbox_proc.pid,
            )
            print(f"\n(initial phase at {initial_ms} ms per call)")
            report(initial)
            if k:
                from sync_replicate import replicate

                t1 = time.monotonic()
                made = replicate(sandbox, dict(zip(chosen, ids, strict=True)), accounts, template_of)
                from app.extensions import db
                from app.models import Connection

                db.session.rollback()
                ids = list(db.session.execute(select(Connection.id).order_by(Connection.id)).scalars())
                print(
                    f"\nreplication: {len(ids) - k} connections copied from {k} in {time.monotonic() - t1:.0f} s "
                    f"(sandbox {made['sandbox_s']:.0f} s, PostgreSQL {made['db_s']:.0f} s, {made['posts']:.0f} posts)"
                )
            requests.put(f"{sandbox}/_sandbox/latency", json={"ms": args.latency_ms}, timeout=10)

            def fanout() -> float:
                from app.jobs.sync import daily_fanout

                add_new_videos(sandbox)
                if not args.same_day:
                    day_later_for_comments()
                began = time.monotonic()  # the phase's clock: from the fan-out's first job, as at 03:00
                queued = daily_fanout()
                print(
                    f"\ndaily fan-out queued {queued} jobs in {time.monotonic() - began:.1f} s (timed with the "
                    "phase; 10 channels got 50 new videos)"
                )
                return began

            daily = run_phase(
                "daily",
                app,
                sandbox,
                env,
                args.workers,
                len(ids),
                "daily",
                before=fanout,
                no_fork=args.no_fork,
                pool=args.pool,
                timeout=max(900.0, len(ids) * 0.2),
                sandbox_pid=sandbox_proc.pid,
            )
            report(daily)
            if args.seed_sample > 0:
                compare_with_seed(app, sandbox, env, args, ids[: args.seed_sample])
        ok = True
    finally:
        with shielded():  # a second Ctrl-C waits for the clean-up
            if sandbox_proc is not None:
                stop_all([sandbox_proc], grace=5)
            stop_embedded()
            if not args.keep:
                recreate_database(args.url, args.db, drop_only=True)
            if ok:
                remove_folder(instance)
            else:
                print(f"worker logs kept in {instance}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
