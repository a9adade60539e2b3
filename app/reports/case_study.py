"""A case study of one client's programme (issue 16): the programme report's numbers told as a story,
optionally anonymised, as a page and a PDF, only while the client's consent is in force
(``app.services.case_studies``).

Anonymised: no name, no handles, no post captions or links, no coach comment; the programme's dates,
numbers, deliverables and achievements stay (they identify no one without the name).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template

from app.models import Client
from app.reports import build
from app.reports.pdf import render_pdf


def payload(client: Client, today: date, *, anonymous: bool) -> dict[str, Any]:
    r = build.program(client, today, charts=True)
    r["kind"] = "case_study"
    r["anonymous"] = anonymous
    r["coach_comment"] = None  # private to the coaching relationship
    if anonymous:
        cohort = client.program_start.strftime("%B %Y") if client.program_start else "recent"
        r["client"] = {"id": None, "name": f"A creator who started in {cohort}", "time_zone": None}
        for p in r["platforms"]:
            p["username"] = None
        r["top_posts"] = [{**p, "caption": "", "permalink": None} for p in r["top_posts"]]
        best = r.get("achievements", {}).get("best_post")
        if best:
            r["achievements"]["best_post"] = {**best, "caption": "", "permalink": None}
    return r


def pdf(r: dict[str, Any]) -> bytes:
    return render_pdf(render_template("reports/pdf.html", r=r, pdf=True, body_template="reports/_case_study.html"))
