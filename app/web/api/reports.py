"""JSON report and export endpoints of the contract (§6.2): the same builders as the report pages."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, jsonify, request
from flask_login import current_user

from app.errors import ServiceError
from app.models import Client, ReportKind, ReportStatus, Role, UsageKind
from app.models.base import utcnow
from app.reports import build, export, service
from app.services import clients
from app.stats import impact as impact_stats
from app.stats import query as stats_query
from app.web.access import client_required, role_required
from app.web.api import bp
from app.web.usage import tracked


@bp.get("/portal/social/report/weekly")
@client_required(staff_to=None)
@tracked(UsageKind.REPORT)
def social_report_weekly() -> Response:
    """The last complete week (ending yesterday, or ``?end=YYYY-MM-DD``)."""
    client = clients.own_client(current_user)
    today = utcnow().date()
    end = today - timedelta(days=1)
    if request.args.get("end"):
        end = stats_query.parse_period({"start": request.args["end"], "end": request.args["end"]}, today).end
    return jsonify(build.weekly(client, end))


@bp.get("/portal/social/report/monthly")
@client_required(staff_to=None)
@tracked(UsageKind.REPORT)
def social_report_monthly() -> Response:
    """The last complete calendar month (or ``?month=YYYY-MM``, a month that has ended), weekly's shape."""
    client = clients.own_client(current_user)
    first, last = build.last_complete_month(utcnow().date())
    if request.args.get("month"):
        first, last = build.parse_month(request.args["month"], utcnow().date())  # ValidationFailed -> 422
    return jsonify(build.monthly(client, first, last))


@bp.get("/portal/social/report/program")
@client_required(staff_to=None)
@tracked(UsageKind.REPORT)
def social_report_program() -> Response:
    client = clients.own_client(current_user)
    payload = build.program(client, utcnow().date(), charts=False)
    payload.pop("coach_comment", None)
    return jsonify(payload)


@bp.get("/portal/social/export")
@client_required(staff_to=None)
@tracked(UsageKind.EXPORT)
def social_export() -> Response:
    """``?format=csv|json&dataset=snapshots|content&range=...&platform=...``, streamed; ``format=pdf`` is
    the weekly report as a PDF: 200 with the stored PDF, or 202 with ``Retry-After`` while a worker makes
    it (the same report job as the Reports page: a request never renders a PDF itself)."""
    client = clients.own_client(current_user)
    if request.args.get("format") == "pdf":
        return _weekly_pdf(client)
    q = stats_query.parse(request.args, tz=client.time_zone, default_range="30d")
    return export.export_response(
        [client.id],
        q,
        export.parse_format(request.args.get("format")),
        export.parse_dataset(request.args.get("dataset")),
        "social",
    )


def _weekly_pdf(client: Client) -> Response:
    report = service.request_report(current_user, ReportKind.WEEKLY.value, client=client)
    if report.status == ReportStatus.FAILED.value:
        raise ServiceError(report.error or "The report could not be generated.")
    data = service.pdf_bytes(report) if report.status == ReportStatus.DONE.value else None
    if data is None:
        if report.status == ReportStatus.DONE.value:
            service.prepare_pdf(report)
        resp = jsonify(status="preparing", report_id=report.id, progress=report.progress)
        resp.status_code = 202
        resp.headers["Retry-After"] = "5"
        return resp
    service.count_download(report)
    resp = export.download(iter(()), service.download_name(report), "application/pdf")
    resp.response = [data]
    resp.headers["Content-Type"] = "application/pdf"
    return resp


@bp.get("/admin/social/impact")
@role_required(Role.ADMIN)
def admin_impact() -> Response:
    """Coaching impact (contract 6.4): adoption, usage, value, deliverable effects, case studies."""
    return jsonify(impact_stats.as_json(impact_stats.impact(clients.visible_clients(current_user), utcnow().date())))


@bp.get("/admin/social/clients/<int:client_id>/export")
@role_required(Role.ADMIN, Role.COACH)
def admin_client_export(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    q = stats_query.parse(request.args, tz=client.time_zone, default_range="90d")
    return export.export_response(
        [client.id],
        q,
        export.parse_format(request.args.get("format")),
        export.parse_dataset(request.args.get("dataset")),
        f"client-{client.id}",
    )


@bp.get("/admin/social/portfolio/export")
@role_required(Role.ADMIN, Role.COACH)
def admin_portfolio_export() -> Response:
    q = stats_query.parse(request.args, scope="portfolio", default_range="90d")
    ids = export.visible_ids(clients.visible_clients(current_user))
    return export.export_response(
        ids,
        q,
        export.parse_format(request.args.get("format")),
        export.parse_dataset(request.args.get("dataset")),
        "portfolio",
    )
