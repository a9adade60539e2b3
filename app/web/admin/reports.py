"""CRM: a client's report section (schedule settings, recipients, history of reports sent, link
revocation, programme report with the coach's comment) and the portfolio report page."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_login import current_user

from app.reports import build, service
from app.services import clients
from app.web.admin import bp
from app.web.htmx import render, toast


def _section(client_id: int, **extra: Any) -> Response:
    client = clients.get_client_for(current_user, client_id)
    return render(
        "admin/reports/client.html",
        "section",
        client=client,
        settings=service.settings_for(client),
        links=service.links_for_client(client),
        reports=service.reports_for_client(client),
        **extra,
    )


@bp.get("/clients/<int:client_id>/reports")
def client_reports(client_id: int) -> Response:
    return _section(client_id)


@bp.post("/clients/<int:client_id>/reports/settings")
def client_report_settings(client_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    f = request.form
    service.save_settings(
        client, weekly=f.get("weekly") == "on", to_client=f.get("to_client") == "on", to_coach=f.get("to_coach") == "on"
    )
    return _section(client_id, trigger=toast("Report settings saved."))


@bp.post("/clients/<int:client_id>/reports/links/<int:link_id>/revoke")
def client_report_link_revoke(client_id: int, link_id: int) -> Response:
    client = clients.get_client_for(current_user, client_id)
    service.revoke_link(client, link_id)
    return _section(client_id, trigger=toast("Link revoked."))


@bp.get("/reports/portfolio")
def portfolio_reports() -> Response:
    return render("admin/reports/portfolio.html", cohorts=build.cohorts(clients.visible_clients(current_user)))
