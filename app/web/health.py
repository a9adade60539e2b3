"""Liveness and readiness (P3): ``/healthz`` needs nothing; ``/readyz`` checks the stores, internally only."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import text

from app.extensions import csrf, db
from app.redis_conn import redis_available

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


@bp.get("/readyz")
def readyz() -> Response:
    """Database and Redis answer; refused to public addresses (ASVS 13.4.5)."""
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
    resp = jsonify(status="ready" if ok else "not ready", checks=checks)
    resp.status_code = 200 if ok else 503
    return resp
