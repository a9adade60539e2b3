"""Liveness and readiness (P3): ``/healthz`` needs nothing; ``/readyz`` checks the stores, internally only."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import text

from app.extensions import csrf, db
from app.redis_conn import redis_available
from app.reports import warm
from app.services import failed_work, heartbeat

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
    """Database and Redis answer (503 otherwise); the cron heartbeat and the failed or stuck work are
    reported beside them: a web process serves without cron, so a cron silent for over 5 minutes fails
    the ``cron`` check and makes the status ``degraded``, not 503 (every web process answering 503 at
    once would take the site down for want of a scheduler). So does a report-PDF warm-up that failed at
    start (``background.pdf``: a font missing, app/reports/warm.py): pages serve, PDFs would not. Refused
    to public addresses (ASVS 13.4.5)."""
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
    cron = heartbeat.cron_state() if checks["redis"] else heartbeat.CronState(ok=False, last_tick=None, known=False)
    background: dict[str, object] = {"cron": cron.as_json()}
    if checks["database"]:
        background["failed_work"] = failed_work.counts()
    pdf = warm.state()
    background["pdf"] = pdf.as_json()
    status = "not ready" if not ok else ("ready" if cron.ok and pdf.state != "failed" else "degraded")
    resp = jsonify(status=status, checks=checks, background=background)
    resp.status_code = 200 if ok else 503
    return resp
