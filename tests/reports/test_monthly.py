"""Monthly reports (the last complete calendar month, the weekly report's shape, scheduled like the weekly
one) and the portal's exports: ``GET /api/portal/social/export?format=pdf`` and the export buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxEmail, Report
from app.reports import build, monthly, service
from tests.reports.test_reports import _work
from tests.support import history


@pytest.fixture
def october(factory):
    c = factory.client(name="Zoë Fischer", email="zoe@example.com")
    ig = history.connection(c, "instagram", username="zoe_ig")
    # Sep 30 .. Oct 31: 1000 on Sep 30, +10 a day -> 1310 on Oct 31
    history.daily(ig, date(2026, 9, 30), [1000 + 10 * i for i in range(32)])
    history.post(ig, date(2026, 10, 12), likes=80, comments=20, followers=1000)  # 10.0 %
    history.post(ig, date(2026, 10, 20), likes=40, comments=0, followers=1000)  # 4.0 %
    history.post(ig, date(2026, 9, 15), likes=20, comments=0, followers=1000)  # 2.0 %, the month before
    return c


def test_last_complete_month_and_parse_month():
    assert build.last_complete_month(date(2026, 11, 1)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert build.last_complete_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert build.last_complete_month(date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert build.parse_month("2024-02", date(2026, 11, 1)) == (date(2024, 2, 1), date(2024, 2, 29))
    for bad in ("2026-11", "2027-01", "nope", "2026-13", "0001-01", "1-01", "1999-12"):
        with pytest.raises(Exception, match="month"):
            build.parse_month(bad, date(2026, 11, 1))


def test_monthly_payload_by_hand(app, october):
    r = build.monthly(october, date(2026, 10, 1), date(2026, 10, 31))
    assert r["kind"] == "monthly"
    assert r["period"] == {"start": "2026-10-01", "end": "2026-10-31", "days": 31}
    ig = r["platforms"][0]
    # Sep 30 (the day before) 1000 -> Oct 31 1310: +310, +31.0 %
    assert ig["followers"] == {"start": 1000, "end": 1310, "net": 310, "growth_rate": 31.0}
    assert ig["engagement_end"] == pytest.approx(7.0)  # mean of 10 % and 4 %
    assert ig["engagement_start"] == pytest.approx(2.0)  # the 31 days before: Sep 15's post
    assert r["top_post"]["engagement_rate"] == pytest.approx(10.0)
    # rated on its average week: 1.31^(7/31) − 1 = +6.3 % (Excellent); advice about the month, not a week
    assert r["rating"] == "Excellent"
    assert r["advice"] == "Keep the rhythm: 2 posts this month, fewer than one a week."


def test_monthly_pdf_speaks_of_the_month(app, october):
    from tests.reports.test_reports import _text

    payload = build.monthly(october, date(2026, 10, 1), date(2026, 10, 31))
    text = " ".join(_text(service.render_report_pdf(payload)).split())
    assert "Followers changed +31.0% this month, +6.3% a week on average (Excellent: 2% or more a week)." in text
    assert "this week" not in text
    assert "Monthly growth report" in text


def test_monthly_api_and_bad_month(app, client, october):
    client.login("zoe@example.com")
    r = client.get("/api/portal/social/report/monthly?month=2026-10").get_json()
    assert r["total"]["net"] == 310
    assert client.get("/api/portal/social/report/monthly").status_code == 200
    bad = client.get("/api/portal/social/report/monthly?month=2999-01")
    assert bad.status_code == 422
    assert bad.get_json()["error"]["message"] == "That month has not ended yet."
    assert client.get("/api/portal/social/report/monthly?month=<script>").status_code == 422


def test_monthly_cron_once_per_client_per_month_with_catch_up(app, october, factory):
    other = factory.client(name="渡辺 健二", email="kenji@example.com")
    other.time_zone = "Asia/Tokyo"
    db.session.commit()
    oct31 = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    assert monthly.monthly_fanout(oct31) == 0
    tokyo_first = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # Nov 1 07:00 in Tokyo
    assert monthly.monthly_fanout(tokyo_first) == 1
    utc_first = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert monthly.monthly_fanout(utc_first) == 1  # Zoë's; Kenji's exists
    assert monthly.monthly_fanout(utc_first + timedelta(hours=1)) == 0
    assert monthly.monthly_fanout(datetime(2026, 11, 2, 9, 0, tzinfo=UTC)) == 0  # caught up already
    _work()
    reports = db.session.execute(select(Report).order_by(Report.id)).scalars().all()
    assert [(r.kind, r.week_key, str(r.period_start), str(r.period_end), r.status) for r in reports] == [
        ("monthly", "2026M10", "2026-10-01", "2026-10-31", "done"),
        ("monthly", "2026M10", "2026-10-01", "2026-10-31", "done"),
    ]
    assert reports[1].payload["total"]["net"] == 310
    subjects = [e.subject for e in db.session.execute(select(OutboxEmail)).scalars()]
    assert "Your monthly growth report (Oct 1 – 31, 2026)" in subjects


def test_monthly_missed_first_is_caught_up_on_the_second_only(app, october):
    assert monthly.monthly_fanout(datetime(2026, 11, 2, 15, 0, tzinfo=UTC)) == 1
    assert monthly.monthly_fanout(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == 0


def test_monthly_from_the_reports_page(app, client, october):
    client.login("zoe@example.com")
    page = client.get("/reports").get_data(as_text=True)
    assert "Last month's report" in page
    assert 'data-testid="export-pdf"' in page
    assert "/api/portal/social/export?format=csv" in page
    resp = client.hx("POST", "/reports", data={"kind": "monthly"})
    assert resp.status_code == 200
    _work()
    report = db.session.execute(select(Report)).scalar_one()
    assert report.kind == "monthly"
    assert service.pdf_bytes(report).startswith(b"%PDF")
    view = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Monthly growth report" in view


def test_export_pdf_is_the_weekly_report(app, client, october, factory):
    client.login("zoe@example.com")
    first = client.get("/api/portal/social/export?format=pdf")
    assert first.status_code == 202
    assert first.headers["Retry-After"] == "5"
    assert first.get_json()["status"] == "preparing"
    _work()
    done = client.get("/api/portal/social/export?format=pdf")
    assert done.status_code == 200
    assert done.headers["Content-Type"] == "application/pdf"
    assert done.data.startswith(b"%PDF")
    assert "weekly-report-" in done.headers["Content-Disposition"]
    assert len(db.session.execute(select(Report)).scalars().all()) == 1  # the second ask reused it
    assert client.get("/api/portal/social/export?format=docx").status_code == 400
