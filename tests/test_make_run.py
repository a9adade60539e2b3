"""The ``make run`` path: the launcher sets up a fresh instance, starts every process, serves the demo,
and stops them all on Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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
    log = open(tmp_path / "run.log", "w+")
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
        assert base in out and "admin@example.com" in out and "demo-portal-2026" in out

        s = requests.Session()
        page = s.get(f"{base}/login", timeout=10)
        assert page.status_code == 200
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        resp = s.post(
            f"{base}/login",
            data={"email": "maya@example.com", "password": "demo-portal-2026", "csrf_token": token},
            timeout=10,
        )
        assert resp.status_code == 200 and "Sofia Lindqvist" in resp.text  # the demo data is there
        assert s.get(f"{base}/static/vendor/htmx.min.js", timeout=10).status_code == 200
        client = requests.Session()  # a demo client with connected accounts sees her imported history
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"{base}/login", timeout=10).text).group(1)
        client.post(
            f"{base}/login",
            data={"email": "sofia@example.com", "password": "demo-portal-2026", "csrf_token": token},
            timeout=10,
        )
        overview = client.get(f"{base}/portal/analytics?range=90d", timeout=30).text
        growth = overview.split('<section id="growth-chart">', 1)[1].split("</section>", 1)[0]
        assert growth.count("<tr>") > 30, growth[:500]
        sandbox = requests.get(f"http://127.0.0.1:{sandbox_port}/_sandbox/accounts", timeout=10)
        assert sandbox.status_code == 200 and len(sandbox.json()["accounts"]) >= 12  # demo creators
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert code == 0, _tail(log)
    for p in (port, sandbox_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2)


def _tail(log) -> str:
    log.seek(0)
    return log.read()[-4000:]
