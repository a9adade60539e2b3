"""Shared by the chaos tests: real ``python worker.py`` subprocesses, killed as a whole process tree,
and polling the database until something is true (or failing with the workers' log)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from app.extensions import db
from tests.conftest import SECRET_KEY, TOKEN_KEY
from tests.support.connect import REDIRECT_BASE

ROOT = Path(__file__).resolve().parents[2]


def worker_env(app: Any, sandbox_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker subprocess: the test app's database, Redis and sandbox, short TTLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "SYNC_", "RQ_"))}
    env.update(
        APP_ENV="test",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        INSTANCE_PATH=app.config["INSTANCE_PATH"],
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=f"k1:{TOKEN_KEY}",
        TOKEN_ENCRYPTION_ACTIVE_KEY="k1",
        PLATFORM_SANDBOX_URL=sandbox_url,
        OAUTH_REDIRECT_BASE=REDIRECT_BASE,
        PUBLIC_BASE_URL="https://portal.example.com",
        RQ_WORKER_TTL="6",
        SYNC_LOCK_TTL_SECONDS="4",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path, *extra: str, queues: str = "sync") -> subprocess.Popen[bytes]:
    """``python worker.py --queues <queues>`` in its own session (so its whole group can be killed)."""
    out = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "worker.py", "--queues", queues, *extra],
        cwd=ROOT,
        env=env,  # noqa: S603
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker's process group and the work-horse's (RQ puts the horse in its own group)."""
    try:
        groups = {os.getpgid(c.pid) for c in psutil.Process(proc.pid).children(recursive=True)}
    except (psutil.NoSuchProcess, ProcessLookupError):
        groups = set()
    groups.add(proc.pid)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait_for(predicate: Any, timeout: float, what: str, log: Path | None = None, note: str = "") -> Any:
    """Poll ``predicate`` (with a fresh view of the database) until it is truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        db.session.rollback()
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    pytest.fail(f"timed out waiting for {what} {note}\n{tail}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
