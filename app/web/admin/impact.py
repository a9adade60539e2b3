"""CRM: the coaching impact page (admins), and a client's case study page and PDF (with the client's
consent; staff who may see the client, like the client page)."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from app.models import Role
from app.reports import case_study
from app.reports.export import download
from app.services import case_studies, clients
from app.stats import impact as impact_stats
from app.stats.query import today
from app.web.access import role_required
from app.web.admin import bp
from app.web.htmx import render


@bp.get("/impact")
@role_required(Role.ADMIN)
def impact() -> Response:
    """Adoption, usage and value against the targets, each deliverable's effect, case studies."""
    imp = impact_stats.impact(clients.visible_clients(current_user), today())
    return render("admin/impact.html", imp=imp, caveats=impact_stats.CAVEATS)


@bp.get("/impact/case-studies/<int:client_id>")
def case_study_page(client_id: int) -> Response:
    """One click: the case study (``?anonymous=1`` for the anonymised one); 404 without consent."""
    client = clients.get_client_for(current_user, client_id)
    anonymous = case_studies.require(client, request.args.get("anonymous") == "1")
    r = case_study.payload(client, today(), anonymous=anonymous)
    return render("admin/case_study.html", client=client, r=r, anonymous=anonymous)


@bp.get("/impact/case-studies/<int:client_id>/pdf")
def case_study_pdf(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    anonymous = case_studies.require(client, request.args.get("anonymous") == "1")
    data = case_study.pdf(case_study.payload(client, today(), anonymous=anonymous))
    name = f"case-study-{'anonymous' if anonymous else client.id}.pdf"  # never the client's name (W9)
    resp = download(iter(()), name, "application/pdf")
    resp.response = [data]
    resp.headers["Content-Type"] = "application/pdf"
    return resp
