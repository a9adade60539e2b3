"""The impact page and API (admins), usage recorded by real requests, case-study consent in the portal,
the case study page and PDF (named, anonymised, gone when consent is withdrawn)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import UsageDay
from app.stats.query import today
from tests.reports.test_reports import _text, needs_pdftotext
from tests.stats.test_impact import XSS, book  # noqa: F401 - the fixture


def test_impact_page_and_api_for_admins_only(app, client, factory, book):  # noqa: F811
    factory.admin(email="boss@example.com")
    factory.coach(email="coach@example.com")
    client.login("boss@example.com")
    page = client.get("/admin/impact")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Coaching impact" in text
    assert "75.0%" in text  # connected one platform
    assert "+70.5%" in text  # average programme growth
    assert "+5.00 pts" in text  # M1 lift
    assert "-58.53 to +68.53 pts" in text
    assert "small sample" in text
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;" in text  # the hostile name, escaped
    assert "no consent yet" in text
    api = client.get("/api/admin/social/impact").get_json()
    assert api["adoption"] == {
        "clients": 4,
        "connected_1plus_pct": 75.0,
        "connected_2plus_pct": 25.0,
        "active_connections_pct": 75.0,
        "connections": 4,
    }
    assert api["usage"] == {"weekly_active_clients_pct": 25.0, "report_exporters_pct": 50.0}
    assert api["value"]["average_program_growth_pct"] == 70.5
    assert api["value"]["deliverables"][0]["code"] == "M1"
    assert api["targets"]["connected_1plus_pct"] == 70.0
    client.logout()
    client.login("coach@example.com")
    assert client.get("/admin/impact").status_code == 403
    assert client.get("/api/admin/social/impact").status_code == 403


def test_usage_is_recorded_by_the_portal(app, client, factory):
    c = factory.client(name="Uma", email="uma@example.com")
    client.login("uma@example.com")
    assert client.get("/portal").status_code == 200
    assert client.get("/portal/analytics").status_code == 200  # the same day: still one row
    assert client.get("/api/portal/social/export?format=csv").status_code == 200
    assert client.get("/api/portal/social/export?format=xlsx").status_code == 400  # a failure is not usage
    assert client.get("/api/portal/social/report/weekly").status_code == 200
    rows = db.session.execute(select(UsageDay.kind, UsageDay.day).where(UsageDay.client_id == c.id)).all()
    assert sorted(rows) == [("analytics", today()), ("export", today()), ("report", today())]


@needs_pdftotext
def test_consent_case_study_named_anonymous_and_withdrawn(app, client, factory, book):  # noqa: F811
    a, *_ = book
    factory.admin(email="boss@example.com")
    admin = app.test_client()
    admin.login("boss@example.com")
    url = f"/admin/impact/case-studies/{a.id}"
    assert admin.get(url).status_code == 404  # no consent yet
    assert admin.get(url + "/pdf").status_code == 404

    client.login("a@example.com")
    assert "You have not agreed to a case study." in client.get("/reports").get_data(as_text=True)
    assert client.hx("POST", "/reports/case-study-consent", data={"choice": "maybe"}).status_code == 422
    resp = client.hx("POST", "/reports/case-study-consent", data={"choice": "anonymous"})
    assert "You agreed, anonymised" in resp.get_data(as_text=True)

    anon = admin.get(url).get_data(as_text=True)  # named not allowed: anonymised even without ?anonymous=1
    assert "A creator who started in" in anon
    assert "alert(1)" not in anon
    assert "+120%" in anon
    pdf = admin.get(url + "/pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "case-study-anonymous.pdf" in pdf.headers["Content-Disposition"]
    assert "+120%" in _text(pdf.data)

    assert f"{url}?anonymous=1" in admin.get(f"/admin/clients/{a.id}").get_data(as_text=True)
    client.hx("POST", "/reports/case-study-consent", data={"choice": "named"})
    named = admin.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in named  # the name, escaped
    assert "A creator who started in" in admin.get(url + "?anonymous=1").get_data(as_text=True)
    assert "consent" in admin.get("/api/admin/social/impact").get_json()["value"]["case_studies"][0]

    client.hx("POST", "/reports/case-study-consent", data={"choice": "withdraw"})
    assert admin.get(url).status_code == 404  # withdrawn consent removes the page
    assert admin.get(url + "/pdf").status_code == 404
    assert admin.get("/api/admin/social/impact").get_json()["value"]["case_studies"][0]["consent"] == "none"


def test_staff_cannot_consent_for_a_client(app, client, factory, book):  # noqa: F811
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert client.post("/reports/case-study-consent", data={"choice": "named"}).status_code == 403


def test_an_emailed_report_link_opened_by_the_client_counts_as_report_usage(app, client, factory):
    from app.models import Report, ReportStatus
    from app.reports import build, service

    c = factory.client(name="Lin", email="lin@example.com")
    coach = factory.coach(email="coach@example.com")
    report = Report(kind="weekly", client_id=c.id, period_start=today(), period_end=today(), status="done")
    report.status = ReportStatus.DONE.value
    report.payload = build.weekly(c, today())
    db.session.add(report)
    db.session.commit()
    _, coach_token = service.issue_link(report, coach.email, coach.id)
    db.session.commit()
    client.auto_csrf = False
    client.get(f"/r/{report.id}/{coach_token}")
    client.post(f"/r/{report.id}/{coach_token}")  # the coach's link: not the client's usage
    assert db.session.execute(select(UsageDay)).first() is None
    _, token = service.issue_link(report, c.user.email, c.user_id)
    db.session.commit()
    assert client.get(f"/r/{report.id}/{token}").status_code == 200  # a scanner's GET: nothing
    assert db.session.execute(select(UsageDay)).first() is None
    assert client.post(f"/r/{report.id}/{token}").status_code == 200
    assert db.session.execute(select(UsageDay.client_id, UsageDay.kind)).all() == [(c.id, "report")]
