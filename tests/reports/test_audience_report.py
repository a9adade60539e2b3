"""Weekly and programme reports include audience and watch time (issue 18)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import AccountInsight, AudienceSnapshot
from app.reports import build, service
from tests.support import history

END = date(2026, 11, 15)


@pytest.fixture
def tenant(factory):
    c = factory.client(name="Ana Audience", email="ana@example.com", program_start=END - timedelta(days=30))
    ig = history.connection(c, "instagram", username="ana_ig")
    yt = history.connection(c, "youtube", username="ana_yt")
    history.daily(ig, END - timedelta(days=7), [1000 + i for i in range(8)])
    history.daily(yt, END - timedelta(days=7), [500] * 8)
    db.session.add_all(
        [
            AudienceSnapshot(
                connection_id=ig.id,
                taken_on=END - timedelta(days=2),
                payload={
                    "age": {"18-24": 30.0, "25-34": 70.0},
                    "gender": {"female": 80.0, "male": 20.0},
                    "countries": [
                        {"code": c, "share": s} for c, s in (("BR", 50.0), ("US", 30.0), ("PT", 15.0), ("AR", 5.0))
                    ],
                },
            ),
            # inside the week: 2 days of 1,200 and 1,800 minutes of watch time; one day before it, left out
            AccountInsight(connection_id=yt.id, day=END - timedelta(days=1), metric="watch_time", value=72_000.0),
            AccountInsight(connection_id=yt.id, day=END, metric="watch_time", value=108_000.0),
            AccountInsight(connection_id=yt.id, day=END - timedelta(days=1), metric="views", value=700.0),
            AccountInsight(connection_id=yt.id, day=END - timedelta(days=9), metric="views", value=9999.0),
        ]
    )
    db.session.commit()
    return c


def test_weekly_payload_has_audience_and_watch_time(app, tenant):
    r = build.weekly(tenant, END)
    by = {a["platform"]: a for a in r["audience"]}
    assert by["youtube"]["insights"] == {"watch_time_minutes": 3000.0, "views": 700.0}
    assert by["youtube"]["available"] is False
    assert by["instagram"]["top"]["age"] == {"name": "25-34", "share": 70.0}
    assert [c["code"] for c in by["instagram"]["countries"]] == ["BR", "US", "PT"]  # top 3
    program = build.program(tenant, END)
    assert {a["platform"] for a in program["audience"]} == {"instagram", "youtube"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_weekly_pdf_prints_the_audience(app, tenant):
    pdf = service.render_report_pdf(build.weekly(tenant, END))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
    assert "Audience and watch time" in text
    assert "50 h" in text  # 3,000 minutes
    assert "mostly 25-34 (70.0%)" in text


def test_monthly_report_has_the_shorts_share(app, tenant):
    from app.models import Connection

    yt = db.session.execute(db.select(Connection).where(Connection.platform == "youtube")).scalar_one()
    db.session.add(
        AudienceSnapshot(
            connection_id=yt.id,
            taken_on=END - timedelta(days=1),
            payload={"age": {"25-34": 100.0}, "content_types": {"shorts": 62.5, "long_form": 37.5}},
        )
    )
    db.session.commit()
    first = END.replace(day=1)
    r = build.monthly(tenant, first, END)
    by = {a["platform"]: a for a in r["audience"]}
    assert by["youtube"]["shorts_share"] == 62.5
    if shutil.which("pdftotext"):
        pdf = service.render_report_pdf(r)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
        assert "Shorts 62.5% of views" in " ".join(text.split())


def test_monthly_and_programme_reports_carry_the_watch_time(app, tenant):
    # the month to END (Nov 1-15) and the programme (from Oct 16) both hold the 2 days of 72,000 s and
    # 108,000 s (3,000 minutes) and the views of Nov 14 (700) and Nov 6 (9,999)
    monthly = {a["platform"]: a for a in build.monthly(tenant, END.replace(day=1), END)["audience"]}
    assert monthly["youtube"]["insights"] == {"watch_time_minutes": 3000.0, "views": 10699.0}
    program = {a["platform"]: a for a in build.program(tenant, END)["audience"]}
    assert program["youtube"]["insights"] == {"watch_time_minutes": 3000.0, "views": 10699.0}
    if shutil.which("pdftotext"):
        pdf = service.render_report_pdf(build.program(tenant, END))
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
        assert "Audience and watch time" in text
        assert "50 h" in text  # 3,000 minutes
