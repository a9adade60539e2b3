"""The client's consent to a case study (portal Reports page): agree (named or anonymised) or withdraw.
Withdrawing removes the case study page and PDF at once."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from htmx_flask import request as hx_request

from app.models import Role
from app.services import case_studies, clients
from app.web.access import role_required
from app.web.htmx import render, toast
from app.web.reports import bp

CHOICES = {"named": "Agreed: with your name.", "anonymous": "Agreed: anonymised.", "withdraw": "Consent withdrawn."}


@bp.post("/reports/case-study-consent")
@role_required(Role.CLIENT)
def case_study_consent() -> ResponseReturnValue:
    client = clients.own_client(current_user)
    choice = request.form.get("choice", "")
    if choice not in CHOICES:
        return render(
            "reports/_case_study_consent.html",
            status=422,
            error="Choose one of the options.",
            consent=case_studies.consent_of(client),
        )
    if choice == "withdraw":
        case_studies.withdraw(client)
    else:
        case_studies.give(client, named=choice == "named")
    if not hx_request.htmx:
        flash(CHOICES[choice], "success")
        return redirect(url_for("reports.index"), 303)
    return render(
        "reports/_case_study_consent.html", consent=case_studies.consent_of(client), trigger=toast(CHOICES[choice])
    )
