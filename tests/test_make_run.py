"""The ``make run`` path: the launcher sets up a fresh instance, starts every process, serves the demo,
labels each process's (JSON) lines, keeps routine records out of them, and stops them all on Ctrl-C
(SIGINT), its embedded redis-server included. The ``make test`` and benchmark paths: a test session and a
benchmark stop the redis-server they started, also when they fail or are interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis
import requests

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_run_all_serves_the_demo_and_stops_cleanly(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "PLATFORM_SANDBOX_URL",
            "SECRET_KEY",
            "TOKEN_ENCRYPTION_KEYS",
            "TOKEN_ENCRYPTION_ACTIVE_KEY",
        )
    }
    env.update(PORT=str(port), SANDBOX_PORT=str(sandbox_port), INSTANCE_PATH=str(tmp_path / "instance"))
    with open(tmp_path / "run.log", "w+") as log:  # a file the launcher writes to; read back below
        proc = subprocess.Popen(
            [sys.executable, "scripts/run_all.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                log.seek(0)
                if "Creator Portal is running at" in log.read():
                    break
                assert proc.poll() is None, _tail(log)
                time.sleep(0.5)
            else:
                pytest.fail("launcher never printed its URL:\n" + _tail(log))
            log.seek(0)
            out = log.read()
            assert base in out
            assert "admin@example.com" in out
            assert "demo-portal-2026" in out

            s = requests.Session()
            page = s.get(f"{base}/login", timeout=10)
            assert page.status_code == 200
            token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
            resp = s.post(
                f"{base}/login",
                data={"email": "maya@example.com", "password": "demo-portal-2026", "csrf_token": token},
                timeout=10,
            )
            assert resp.status_code == 200
            assert "Sofia Lindqvist" in resp.text
            assert s.get(f"{base}/static/vendor/htmx.min.js", timeout=10).status_code == 200
            client = requests.Session()  # a demo client with connected accounts sees her imported history
            token = re.search(
                r'name="csrf-token" content="([^"]+)"', client.get(f"{base}/login", timeout=10).text
            ).group(1)
            client.post(
                f"{base}/login",
                data={"email": "sofia@example.com", "password": "demo-portal-2026", "csrf_token": token},
                timeout=10,
            )
            overview = client.get(f"{base}/portal/analytics?range=90d", timeout=30).text
            growth = overview.split('<section id="growth-chart">', 1)[1].split("</section>", 1)[0]
            assert growth.count("<tr>") > 30, growth[:500]
            sandbox = requests.get(f"http://127.0.0.1:{sandbox_port}/_sandbox/accounts", timeout=10)
            assert sandbox.status_code == 200
            assert len(sandbox.json()["accounts"]) >= 12
            socket = re.search(r"embedded redis-server at unix://(\S+)", out).group(1)
            store = redis.Redis(unix_socket_path=socket)
            deadline = time.monotonic() + 60
            while not store.get("portal:cron:last-tick"):  # cron queued the heartbeat, a worker ran it
                assert time.monotonic() < deadline, "the cron heartbeat never ran:\n" + _tail(log)
                time.sleep(0.5)
            store.close()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            # a burst of further signals (a second Ctrl-C, pkill matching both ``timeout`` and the
            # launcher) must not cut the clean-up short: it once left every process running
            until = time.monotonic() + 1.5
            while time.monotonic() < until and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                time.sleep(0.01)
            try:
                code = proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
        assert code == 0, _tail(log)
        for p in (port, sandbox_port):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2)
        assert not Path(socket).exists()
        assert not _redis_servers(socket)

        log.seek(0)
        lines = log.read().splitlines()
    labels = {line.split(" | ", 1)[0].strip() for line in lines if " | " in line}
    assert {"redis", "sandbox", "migrate", "demo", "web", "worker", "cron", "run"} <= labels
    for line in lines:
        if line.startswith(("worker ", "cron ")):
            json.loads(line.split(" | ", 1)[1])  # the processes' own lines are JSON, behind the label
    routine = re.compile(r"Enqueued job cron_heartbeat|\.cron_heartbeat\(\)|cleaning registries")
    noise = [line for line in lines if routine.search(line)]
    assert not noise, noise  # the heartbeat ran (above), at DEBUG, and so did rq's maintenance


def _tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]


def _redis_servers(marker: str) -> list[psutil.Process]:
    """Running redis-server processes whose command line or working directory mentions ``marker``."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        try:
            if "redis-server" not in (proc.info["name"] or "") + " ".join(proc.info["cmdline"] or []):
                continue
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if marker in " ".join(proc.info["cmdline"] or []) or marker in proc.cwd():
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


INNER_SESSION = """
import os
import time

import redis

KEPT = []


def test_uses_the_embedded_redis(redis_url):
    for _ in range(2):  # clients still connected when the session ends, like the apps' pooled ones
        client = redis.Redis.from_url(redis_url)
        KEPT.append(client)
        pid = client.info("server")["process_id"]
    with open(os.environ["REDIS_PID_FILE"], "w") as f:
        f.write(str(pid))
    if os.environ["INNER_MODE"] == "fail":
        raise AssertionError("failing on purpose")
    if os.environ["INNER_MODE"] == "interrupt":
        time.sleep(120)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "signum"), [("pass", None), ("fail", None), ("interrupt", signal.SIGINT), ("interrupt", signal.SIGTERM)]
)
def test_a_test_session_stops_the_redis_server_it_started(tmp_path, mode, signum):
    """A pytest session on the embedded default (this suite's conftest), passing, failing, or stopped with
    Ctrl-C or SIGTERM mid-test: afterwards its redis-server is gone."""
    (tmp_path / "test_inner.py").write_text(INNER_SESSION)
    pid_file = tmp_path / "redis.pid"
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_REDIS_URL", "TEST_DATABASE_URL")}
    env.update(INNER_MODE=mode, REDIS_PID_FILE=str(pid_file))
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pyproject.toml", "-p", "tests.conftest"]
    proc = subprocess.Popen(
        [sys.executable, *args, f"--basetemp={tmp_path / 'base'}", str(tmp_path / "test_inner.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even if ours is ignored
    )
    try:
        if signum is not None:
            deadline = time.monotonic() + 60
            while not (pid_file.exists() and pid_file.read_text()):
                assert proc.poll() is None, "the inner session exited before the inner test started"
                assert time.monotonic() < deadline, "the inner test never started"
                time.sleep(0.1)
            proc.send_signal(signum)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == {"pass": 0, "fail": 1, "interrupt": 2}[mode], out
    pid = int(pid_file.read_text())
    try:
        server = psutil.Process(pid)
        alive = server.name() == "redis-server" and server.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        alive = False
    assert not alive, f"the session left redis-server {pid} running\n{out}"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="bench/reports.py starts the redis-server on PATH")
def test_a_failing_benchmark_stops_the_redis_server_it_started(tmp_path):
    """bench/reports.py starts a redis-server, then fails to reach its database: the server goes too."""
    env = {k: v for k, v in os.environ.items() if k != "BENCH_DATABASE_URL"}
    with open(tmp_path / "bench.log", "w+") as log:  # a file: a leaked server would hold a pipe open
        code = subprocess.call(
            [sys.executable, str(ROOT / "bench" / "reports.py"), "--url", "postgresql://postgres@127.0.0.1:1/postgres"],
            cwd=tmp_path,  # the redis-server's working directory: how it is found below
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
        log.seek(0)
        out = log.read()
    assert code != 0, out[-3000:]
    assert "OperationalError" in out, out[-3000:]
    leaked = _redis_servers(str(tmp_path))
    for proc in leaked:
        proc.kill()
    assert not leaked, "the benchmark left its redis-server running"
