"""Operations console, admins only: failed and stuck work with retry and discard, and the platform
budgets. The reads and the once-only actions live in ``app.services.failed_work`` and
``app.sync.budgets``; alerts to admins in ``app.services.ops_alerts``."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.charts.builders import usage_chart
from app.errors import ServiceError
from app.models import Role
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.redis_conn import get_redis
from app.services import failed_work, heartbeat, ops_alerts
from app.sync import budgets, x_compliance
from app.web.access import role_required
from app.web.admin import bp
from app.web.htmx import render


@bp.get("/ops/work")
@role_required(Role.ADMIN)
def ops_work() -> Response:
    """Failed and stuck syncs, reports, emails and background jobs, with the cron heartbeat and the
    latest alerts to admins above them."""
    kind = request.args.get("kind")
    kind = kind if kind in failed_work.KINDS else None
    return render(
        "admin/ops/work.html",
        "work",
        groups=failed_work.items(kind),
        kind=kind,
        labels=failed_work.KIND_LABELS,
        cron=heartbeat.cron_state(),
        alerts=ops_alerts.recent(),
        compliance=x_compliance.recent(6),
    )


@bp.post("/ops/work")
@role_required(Role.ADMIN)
def ops_work_act() -> ResponseReturnValue:
    """Retry or discard one item (``kind``, ``key``, ``action``); a second admin is told who was first."""
    kind, key, action = (request.form.get(f, "") for f in ("kind", "key", "action"))
    try:
        item = failed_work.act(current_user, kind, key, action)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        done = "queued again" if action == "retry" else "discarded"
        flash(f"{item.what} ({item.concerns}) {done}.", "success")
    back = request.form.get("from_kind")
    return redirect(url_for("admin.ops_work", kind=back if back in failed_work.KINDS else None), code=303)


@bp.get("/ops/budgets")
@role_required(Role.ADMIN)
def ops_budgets() -> Response:
    """Each platform's limits: spent today, the projection, the last 30 days, and what is deferred when near."""
    found = budgets.budgets(current_app.config, get_redis(), CONNECTABLE)
    charts = {
        b.platform: usage_chart(
            f"usage-{b.platform}",
            f"{PLATFORM_NAMES[b.platform]}: {'Data API units' if b.platform == 'youtube' else 'calls'} per day",
            b.platform,
            [(day, units if b.platform == "youtube" else calls) for day, calls, units in b.history],
            "units" if b.platform == "youtube" else "calls",
            b.limits[0].limit if b.platform == "youtube" else None,
        )
        for b in found or []
    }
    return render(
        "admin/ops/budgets.html",
        None,
        budgets=found,
        charts=charts,
        threshold=int(current_app.config["OPS_BUDGET_WARN_PERCENT"]),
        not_connectable=[p for p in PLATFORM_NAMES if p not in CONNECTABLE],
        alerts=ops_alerts.recent(),
    )
