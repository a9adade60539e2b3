"""Report pages. Staff and clients share the job UI; ``/r/...`` and ``/s/...`` are the capability
links, which never log anyone in: GET shows an interstitial (mail scanners pre-fetch GETs), POST
shows the report. They are CSRF-exempt by design: the unguessable token in the path is the proof a
forged cross-site POST could not have, and the POST only records that the link was opened."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from htmx_flask import make_response
from htmx_flask import request as hx_request

from app.errors import ServiceError
from app.extensions import csrf, db
from app.models import Client, Report, ReportStatus, Role, UsageKind
from app.reports import service
from app.reports.build import program as program_payload
from app.services import case_studies, clients, usage
from app.web.access import client_required, login_required
from app.web.htmx import render
from app.web.reports import bp
from app.web.usage import tracked

LINK_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _card(report: Report) -> Response:
    """The job card: polling while running; the final card with status 286 so htmx stops polling."""
    body = render_template("reports/_card.html", report=report)
    return make_response(body, 286 if report.is_finished else 200)


@bp.get("/reports")
@client_required()
def index() -> Response:
    """A client's reports: generate weekly / programme reports, past reports, the share switch."""
    client = clients.own_client(current_user)
    settings = service.settings_for(client)
    return render(
        "reports/index.html",
        client=client,
        reports=service.reports_for_client(client),
        settings=settings,
        share_url=service.share_url(settings),
        consent=case_studies.consent_of(client),
    )


@bp.post("/reports")
@login_required
def start() -> Response:
    """Start (or attach to) a report job; returns the running card, which polls its status."""
    kind = request.form.get("kind", "")
    comment = None
    client: Client | None
    if current_user.role is Role.CLIENT:
        client = clients.own_client(current_user)
        if kind not in ("weekly", "monthly", "program"):
            abort(400)
    else:
        raw = request.form.get("client_id", "")
        client = clients.get_client_for(current_user, int(raw)) if raw.isdigit() else None
        comment = (request.form.get("comment") or "").strip()[: service.MAX_COMMENT] or None
    try:
        report = service.request_report(
            current_user, kind, client=client, cohort=request.form.get("cohort") or None, comment=comment
        )
    except ServiceError as exc:
        return make_response(render_template("reports/_card.html", report=None, error=exc.message), exc.status)
    return _card(report)


@bp.get("/reports/<int:report_id>/status")
@login_required
def status(report_id: int) -> Response:
    return _card(service.get_report_for(current_user, report_id))


@bp.get("/reports/<int:report_id>")
@login_required
@tracked(UsageKind.REPORT)
def view(report_id: int) -> Response:
    report = service.get_report_for(current_user, report_id)
    if report.status != ReportStatus.DONE or report.payload is None:
        return render("reports/view.html", report=report, r=None)
    return render("reports/view.html", report=report, r=report.payload)


@bp.get("/reports/<int:report_id>/pdf")
@login_required
@tracked(UsageKind.EXPORT)
def pdf(report_id: int) -> Response:
    report = service.get_report_for(current_user, report_id)
    if report.status != ReportStatus.DONE:
        abort(404)
    return _pdf_response(report)


def _pdf_response(report: Report) -> Response:
    """The stored PDF; when there is none (yet), a worker is asked for it and the answer is a 503 with
    ``Retry-After``: a request never renders a PDF itself (an anonymous link must not cost a render)."""
    from app.reports.export import download

    data = service.pdf_bytes(report)
    if data is None:
        service.prepare_pdf(report)
        resp = _link_page("preparing", "", 503)
        resp.headers["Retry-After"] = "30"
        return resp
    resp = download(iter(()), service.download_name(report), "application/pdf")
    resp.response = [data]
    resp.headers["Content-Type"] = "application/pdf"
    return resp


@bp.route("/r/<int:report_id>/<token>", methods=["GET", "POST"])
@csrf.exempt
def link(report_id: int, token: str) -> Response:
    """An emailed report link (A4): GET/HEAD ask, POST shows (and records the opening)."""
    try:
        lnk = service.resolve_link(report_id, token)
    except ServiceError as exc:
        return _link_page("gone" if exc.status == 410 else "invalid", exc.message, exc.status)
    report = lnk.report
    if request.method in ("GET", "HEAD"):
        return _link_page("confirm", "", 200, action=url_for("reports.link", report_id=report_id, token=token))
    if request.form.get("format") == "pdf":
        resp = _pdf_response(report)
    else:
        resp = _link_page(
            "report", "", 200, r=report.payload, pdf_action=url_for("reports.link", report_id=report_id, token=token)
        )
    service.mark_opened(lnk)
    if report.client_id is not None and lnk.recipient_user_id is not None and resp.status_code < 400:
        client = db.session.get(Client, report.client_id)
        if client is not None and client.user_id == lnk.recipient_user_id:  # the client opened their report
            usage.record(client.id, UsageKind.REPORT)
    resp.headers.update(LINK_HEADERS)
    return resp


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt
def share(token: str) -> Response:
    """The client's public, read-only programme report (while they keep sharing on)."""
    from app.models.base import utcnow

    try:
        client = service.client_for_share(token)
    except ServiceError as exc:
        return _link_page("gone", exc.message, exc.status)
    if request.method in ("GET", "HEAD"):
        return _link_page("confirm", "", 200, action=url_for("reports.share", token=token))
    payload = program_payload(client, utcnow().date(), charts=True)
    payload["coach_comment"] = None  # the coach's comment is private to the coaching relationship
    return _link_page("report", "", 200, r=payload)


def _link_page(state: str, message: str, status: int, **ctx: object) -> Response:
    resp = make_response(render_template("reports/link.html", state=state, message=message, **ctx), status)
    resp.headers.update(LINK_HEADERS)
    return resp


@bp.post("/reports/share")
@login_required
def share_toggle() -> ResponseReturnValue:
    """The client's own share switch (portal settings)."""
    client = clients.own_client(current_user)
    enabled = request.form.get("enabled") == "1"
    settings = service.set_share(client, enabled)
    if not hx_request.htmx:  # a plain form post: back to the whole reports page (post/redirect/get)
        flash("Share link turned on." if enabled else "Share link turned off.", "success")
        return redirect(url_for("reports.index"), 303)
    return render(
        "reports/index.html", "share", client=client, settings=settings, share_url=service.share_url(settings)
    )
