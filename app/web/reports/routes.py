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
from app.reports import share as share_service
from app.services import case_studies, clients, usage
from app.services.urls import absolute_url
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
    """The stored PDF, drawn on the first request from the report's stored numbers (once per report,
    ``app.reports.pdf_store``); when it cannot be drawn here (a report without numbers, or another
    request's render still running), a worker is asked and the answer is a 503 with ``Retry-After``."""
    from app.reports.export import download

    data = service.pdf_bytes(report)
    if data is None:
        service.prepare_pdf(report)
        resp = _link_page("preparing", "", 503)
        resp.headers["Retry-After"] = "30"
        return resp
    service.count_download(report)
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
    og_image = absolute_url("reports.share_card", token=token)  # PUBLIC_BASE_URL, never the Host header
    if request.method in ("GET", "HEAD"):
        # link previews (LinkedIn, X, chat apps) read this page: its Open Graph tags carry the card
        share_service.ensure_card(client)
        og = share_service.open_graph(share_service.card_payload(client, utcnow().date()))
        return _link_page("confirm", "", 200, action=url_for("reports.share", token=token), og=og, og_image=og_image)
    payload, detail = share_service.public_payload(client, utcnow().date())
    og = share_service.open_graph(payload)
    return _link_page("report", "", 200, r=payload, public=True, share_detail=detail, og=og, og_image=og_image)


@bp.get("/s/<token>/card.png")
def share_card(token: str) -> Response:
    """The share page's card image: the stored PNG (a stale one while its successor renders); 404 with
    ``Retry-After`` the first time, while a worker draws it."""
    try:
        client = service.client_for_share(token)
    except ServiceError:
        abort(404)
    share_service.ensure_card(client)
    row = share_service.stored_card(client)
    if row is None:
        resp = make_response("The image is being prepared.", 404)
        resp.headers["Retry-After"] = "30"
        resp.headers["Cache-Control"] = "no-store"
        return resp
    resp = make_response(row.png, 200)
    resp.headers["Content-Type"] = "image/png"
    resp.headers["Cache-Control"] = "public, max-age=600"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _link_page(state: str, message: str, status: int, **ctx: object) -> Response:
    resp = make_response(render_template("reports/link.html", state=state, message=message, **ctx), status)
    resp.headers.update(LINK_HEADERS)
    return resp


@bp.post("/reports/share")
@login_required
def share_toggle() -> ResponseReturnValue:
    """The client's own share switch (portal settings); turning it on asks a worker for the card."""
    client = clients.own_client(current_user)
    enabled = request.form.get("enabled") == "1"
    settings = service.set_share(client, enabled)
    if enabled:
        share_service.ensure_card(client)
    if not hx_request.htmx:  # a plain form post: back to the whole reports page (post/redirect/get)
        flash("Share link turned on." if enabled else "Share link turned off.", "success")
        return redirect(url_for("reports.index"), 303)
    return render(
        "reports/index.html", "share", client=client, settings=settings, share_url=service.share_url(settings)
    )


@bp.post("/reports/share/detail")
@login_required
def share_detail() -> ResponseReturnValue:
    """What the client's public page shows: totals only, or with platforms and top posts."""
    client = clients.own_client(current_user)
    try:
        settings = share_service.set_detail(client, request.form.get("detail", ""))
    except ServiceError as exc:
        if not hx_request.htmx:
            flash(exc.message, "error")
            return redirect(url_for("reports.index"), 303)
        settings = service.settings_for(client)
        return render(
            "reports/index.html",
            "share",
            status=exc.status,
            client=client,
            settings=settings,
            share_url=service.share_url(settings),
            share_error=exc.message,
        )
    if not hx_request.htmx:
        flash(
            "The shared page now shows "
            + ("platforms and top posts." if settings.share_detail == "full" else "totals only."),
            "success",
        )
        return redirect(url_for("reports.index"), 303)
    return render(
        "reports/index.html", "share", client=client, settings=settings, share_url=service.share_url(settings)
    )
