"""Liveness and readiness (P3): ``/healthz`` needs nothing; ``/readyz`` checks the stores, internally only."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import redis
from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import text

from app.extensions import csrf, db
from app.jobs.system import HEARTBEAT_KEY
from app.redis_conn import get_redis, redis_available

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz() -> Response:
    """The process answers; no dependency is touched."""
    return jsonify(status="ok")


def _internal(addr: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


#: the cron heartbeat runs every minute; older than this, cron (or every worker of queue default) stopped
HEARTBEAT_STALE = timedelta(minutes=5)


def _cron() -> dict[str, object]:
    """When the cron scheduler last got a job through a worker (``app.jobs.system.cron_heartbeat``)."""
    try:
        raw = get_redis().get(HEARTBEAT_KEY)
    except (redis.RedisError, OSError):
        raw = None
    if not raw:
        return {"ok": False, "last_tick": None}
    tick = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else str(raw))
    return {"ok": datetime.now(UTC) - tick < HEARTBEAT_STALE, "last_tick": tick.isoformat()}


@bp.get("/readyz")
def readyz() -> Response:
    """Database and Redis answer (503 otherwise); the cron heartbeat is reported beside them: a web
    process serves without cron, so a stopped cron makes the status ``degraded``, not 503. Refused to
    public addresses (ASVS 13.4.5)."""
    if not _internal(request.remote_addr):
        abort(404)
    checks = {"database": False, "redis": False}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
    checks["redis"] = redis_available()
    ok = all(checks.values())
    background = {"cron": _cron() if checks["redis"] else {"ok": False, "last_tick": None}}
    status = "not ready" if not ok else ("ready" if background["cron"]["ok"] else "degraded")
    resp = jsonify(status=status, checks=checks, background=background)
    resp.status_code = 200 if ok else 503
    return resp
