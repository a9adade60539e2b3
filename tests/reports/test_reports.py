"""Reports: weekly numbers in HTML/PDF (pdftotext, non-Latin names), job UI polling, emailed links
(A4), weekly cron once per week, CSV/JSON exports (W8, W9, J9), bad input, IDOR on report ids."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import delete, select

from app.extensions import db
from app.models import OutboxEmail, Report, ReportFile, ReportLink
from app.queueing.queues import REPORTS, get_queue
from app.redis_conn import get_redis
from app.reports import export, service
from tests.support import history

END = date(2026, 11, 15)  # a Sunday: the week is Nov 9..15, compared with Nov 8
INJECT = '=HYPERLINK("http://x") <script>alert(1)</script>'
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
    return unicodedata.normalize("NFKC", out).replace("\u202b", "").replace("\u202c", "")


def _work() -> None:
    SimpleWorker([get_queue(REPORTS), get_queue("default")], connection=get_redis()).work(burst=True)


@pytest.fixture
def seeded(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Zoë Fischer", email="zoe@example.com")
    ig = history.connection(c, "instagram", username="zoe_ig")
    history.daily(ig, END - timedelta(days=7), [1000, 1010, 1020, 1030, 1040, 1050, 1080, 1100])
    yt = history.connection(c, "youtube", username="zoe_yt")
    history.daily(yt, END - timedelta(days=7), [500] * 8)
    history.post(ig, END - timedelta(days=2), likes=50, comments=10, followers=1000, caption=INJECT)
    history.post(ig, END - timedelta(days=9), likes=10, comments=0, followers=1000, caption="older")
    return c


def test_weekly_payload_numbers(app, seeded):
    from app.reports import build

    r = build.weekly(seeded, END)
    ig = next(p for p in r["platforms"] if p["platform"] == "instagram")
    assert ig["followers"] == {"start": 1000, "end": 1100, "net": 100, "growth_rate": 10.0}
    assert ig["engagement_end"] == pytest.approx(6.0)
    assert ig["engagement_start"] == pytest.approx(1.0)
    assert r["total"]["net"] == 100
    assert r["total"]["start"] == 1500
    assert r["top_post"]["caption"] == INJECT
    assert r["rating"] == "Excellent"
    assert r["advice"]


@needs_pdftotext
@pytest.mark.parametrize("name", ["Zoë Fischer", "渡辺 健二", "محمد"])
def test_weekly_pdf_has_numbers_and_names(app, seeded, name):
    from app.reports import build

    seeded.display_name = name
    db.session.commit()
    text = _text(service.render_report_pdf(build.weekly(seeded, END)))
    assert name in text
    assert "1,100" in text
    assert "+100" in text
    assert "Excellent" in text
    assert '=HYPERLINK("http://x") <script>alert(1)</script>' in text  # shown as text, not markup


def test_job_ui_polls_until_done_then_286(app, client, seeded):
    client.login("zoe@example.com")
    resp = client.hx("POST", "/reports", data={"kind": "program"})
    assert resp.status_code == 200
    assert 'hx-trigger="every 2s"' in resp.get_data(as_text=True)
    report = db.session.execute(select(Report)).scalar_one()
    again = client.hx("POST", "/reports", data={"kind": "program"})  # attaches to the same job
    assert db.session.execute(select(Report)).scalars().all() == [report]
    assert again.status_code == 200
    _work()
    status = client.hx("GET", f"/reports/{report.id}/status")
    assert status.status_code == 286
    assert "Download PDF" in status.get_data(as_text=True)
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in page
    assert "<script>alert" not in page
    pdf = client.get(f"/reports/{report.id}/pdf")
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert "Zo" not in pdf.headers["Content-Disposition"]


def _done_report(client_row) -> Report:
    report = Report(
        kind="weekly",
        client_id=client_row.id,
        period_start=END - timedelta(days=6),
        period_end=END,
        status="queued",
        progress=0,
    )
    db.session.add(report)
    db.session.commit()
    return service.generate(report.id)


def test_link_scanner_prefetch_expiry_revocation_tampering(app, client, seeded):
    report = _done_report(seeded)
    other = _done_report(seeded) if False else None  # noqa: F841
    link, token = service.issue_link(report, "zoe@example.com", None)
    db.session.commit()
    stored = db.session.execute(select(ReportLink.token_hash)).scalar_one()
    assert token not in stored
    assert len(stored) == 64
    url = f"/r/{report.id}/{token}"
    assert client.head(url).status_code == 200
    first = client.get(url)
    assert first.status_code == 200
    assert "Open the report" in first.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"
    db.session.refresh(link)
    assert link.last_opened_at is None  # GET wrote nothing
    client.auto_csrf = False
    opened = client.post(url)
    assert opened.status_code == 200
    assert "1,100" in opened.get_data(as_text=True)
    assert "Set-Cookie" not in opened.headers
    assert client.post(url, data={"format": "pdf"}).data.startswith(b"%PDF")
    assert client.post(f"/r/{report.id + 1}/{token}").status_code == 404  # another report's id
    assert client.post(f"/r/{report.id}/{token[:-2]}xx").status_code == 404  # tampered
    assert client.get("/portal").status_code == 302  # never a session
    link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    gone = client.post(url)
    assert gone.status_code == 410
    assert "Log in" in gone.get_data(as_text=True)
    link.expires_at = datetime.now(UTC) + timedelta(days=1)
    link.revoked_at = datetime.now(UTC)
    db.session.commit()
    assert client.post(url).status_code == 410
    assert client.get(url).status_code == 410


def test_weekly_cron_one_report_per_client_per_week(app, seeded, factory):
    other = factory.client(name="渡辺 健二", email="kenji@example.com")
    other.time_zone = "Asia/Tokyo"
    db.session.commit()
    sunday_utc = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # Sunday everywhere that matters here
    assert service.weekly_fanout(sunday_utc) == 0
    tokyo_monday = datetime(2026, 11, 15, 22, 0, tzinfo=UTC)  # Monday 07:00 in Tokyo, Sunday in London
    assert service.weekly_fanout(tokyo_monday) == 1
    monday_utc = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Monday 08:00 UTC, 17:00 in Tokyo
    assert service.weekly_fanout(monday_utc) == 1  # Zoe's; Kenji's exists already
    assert service.weekly_fanout(monday_utc) == 0
    assert service.weekly_fanout(monday_utc + timedelta(hours=1)) == 0
    _work()
    reports = db.session.execute(select(Report).order_by(Report.id)).scalars().all()
    assert [r.client_id for r in reports] == [other.id, seeded.id]
    assert all(r.status == "done" for r in reports)
    assert {r.period_start.isoformat() for r in reports} == {"2026-11-09"}  # the same week for both
    emails = db.session.execute(select(OutboxEmail)).scalars().all()
    assert "zoe@example.com" in [e.to_address for e in emails]
    assert all("/r/" in e.body_text for e in emails)


def test_a_weekly_report_missed_while_the_cron_was_down_is_caught_up_once(app, seeded):
    """The cron process down across a client's whole Monday morning: Monday afternoon or Tuesday's
    fan-out still makes that week's report (the same week, once); from Wednesday on it is not made."""
    tuesday = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
    assert service.weekly_fanout(tuesday) == 1
    assert service.weekly_fanout(tuesday + timedelta(hours=5)) == 0
    report = db.session.execute(select(Report)).scalar_one()
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == ("2026-11-09", "2026-11-15")
    assert service.weekly_fanout(datetime(2026, 11, 25, 9, 0, tzinfo=UTC)) == 0  # a Wednesday: not caught up


def test_csv_export_injection_safe_and_matches_db(app, client, seeded):
    client.login("zoe@example.com")
    resp = client.get(f"/api/portal/social/export?format=csv&dataset=content&start=2026-11-01&end={END}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith('attachment; filename="social-content-')
    assert "filename*=UTF-8''" in cd
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][0].startswith("data as of")
    header, body = rows[1], rows[2:]
    assert len(body) == 2
    cap = [r[header.index("caption")] for r in body]
    assert "'" + INJECT in cap
    snaps = client.get(f"/api/portal/social/export?format=json&start=2026-11-08&end={END}")
    data = json.loads(snaps.get_data(as_text=True))
    assert len(data["rows"]) == 16
    assert {r["followers"] for r in data["rows"]} >= {1100, 500}


def test_safe_cell():
    for raw in ("=1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r1"):
        assert export.safe_cell(raw) == "'" + raw
    assert export.safe_cell(-5) == -5
    assert export.safe_cell('a",=1') == 'a",=1'


def test_bad_input_is_clear_not_500(app, client, factory):
    factory.client(name="Empty", email="empty@example.com")
    client.login("empty@example.com")
    assert client.get("/api/portal/social/report/weekly").status_code == 200
    assert client.get("/api/portal/social/report/program").status_code == 200
    assert client.get("/api/portal/social/export?start=2001-01-01&end=2001-02-01").status_code == 200
    assert client.get("/api/portal/social/export?start=2001-01-01&end=2026-02-01").status_code == 400
    assert client.get("/api/portal/social/export?format=xlsx").status_code == 400
    resp = client.hx("POST", "/reports", data={"kind": "weekly"})
    assert resp.status_code == 200
    _work()
    report = db.session.execute(select(Report)).scalar_one()
    assert report.status == "done"
    assert service.pdf_bytes(report).startswith(b"%PDF")


def test_report_ids_of_other_tenants_are_404(app, client, seeded, factory):
    report = _done_report(seeded)
    factory.client(name="Other", email="other@example.com")
    client.login("other@example.com")
    for url in (f"/reports/{report.id}", f"/reports/{report.id}/status", f"/reports/{report.id}/pdf"):
        assert client.get(url).status_code == 404
    client.logout()
    factory.coach(email="coach-b@example.com")
    client.login("coach-b@example.com")
    assert client.get(f"/reports/{report.id}").status_code == 404
    assert client.get(f"/api/admin/social/clients/{seeded.id}/export").status_code == 404


def test_a_weekly_report_whose_job_was_lost_is_queued_again_and_sent_once(app, seeded):
    """Redis lost the job (or a worker died on every retry): the row stays queued; the sweep queues it
    again under a new id, and the client gets the weekly email once."""
    monday_utc = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert service.weekly_fanout(monday_utc) == 1
    report = db.session.execute(select(Report)).scalar_one()
    assert report.job_id in get_queue(REPORTS).get_job_ids()
    get_redis().flushdb()  # the queued job is gone
    assert service.requeue_stuck(report.created_at + timedelta(minutes=5)) == 0  # too young to judge
    assert service.requeue_stuck(report.created_at + timedelta(minutes=16)) == 1
    assert service.requeue_stuck(report.created_at + timedelta(minutes=17)) == 0  # its new job is queued
    _work()
    db.session.expire_all()
    report = db.session.execute(select(Report)).scalar_one()
    assert report.status == "done"
    assert "-again-" in report.job_id
    emails = db.session.execute(select(OutboxEmail)).scalars().all()
    assert [e.to_address for e in emails] == ["zoe@example.com"]
    assert service.requeue_stuck(report.created_at + timedelta(hours=1)) == 0  # done: left alone


def test_a_report_job_that_fails_is_retried_by_rq(app, seeded):
    from rq.job import Job

    from app.queueing import dispatch

    monday_utc = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    service.weekly_fanout(monday_utc)
    report = db.session.execute(select(Report)).scalar_one()
    job = Job.fetch(report.job_id, connection=get_redis())
    assert job.retries_left == 3
    assert job.retry_intervals == dispatch.report_retry().intervals


def test_the_pdf_rendered_by_a_worker_is_served_by_a_web_process_on_another_host(make_app, seeded, tmp_path):
    """Worker and web share the database, not a disk: each app here has its own INSTANCE_PATH."""
    worker_app = make_app(INSTANCE_PATH=str(tmp_path / "worker-host"))
    with worker_app.app_context():
        report = _done_report(db.session.merge(seeded))
        _, token = service.issue_link(report, "zoe@example.com", None)
        db.session.commit()
        report_id = report.id
    web_app = make_app(INSTANCE_PATH=str(tmp_path / "web-host"))
    with web_app.app_context():
        web = web_app.test_client()
        web.auto_csrf = False
        resp = web.post(f"/r/{report_id}/{token}", data={"format": "pdf"})
        assert resp.status_code == 200
        assert resp.data.startswith(b"%PDF")
    assert not (tmp_path / "web-host" / "reports").exists()


def test_a_pdf_without_stored_numbers_is_left_to_a_worker(app, client, seeded):
    """A report with no stored numbers (made before payloads were kept) cannot be drawn in the request:
    the link gets 503 + Retry-After and one job, however often it asks; a worker renders it.
    (PDFs of reports with numbers are drawn on first request: tests/reports/test_pdf_by_need.py.)"""
    report = _done_report(seeded)
    _, token = service.issue_link(report, "zoe@example.com", None)
    db.session.execute(delete(ReportFile))
    report.payload = None
    db.session.commit()
    client.auto_csrf = False
    url = f"/r/{report.id}/{token}"
    for _ in range(5):
        resp = client.post(url, data={"format": "pdf"})
        assert resp.status_code == 503
        assert resp.headers["Retry-After"] == "30"
        assert "being prepared" in resp.get_data(as_text=True)
    assert db.session.execute(select(ReportFile)).first() is None  # nothing rendered in the requests
    assert get_queue(REPORTS).get_job_ids() == [f"report-{report.id}-pdf"]  # one job for five asks
    _work()
    resp = client.post(url, data={"format": "pdf"})
    assert resp.status_code == 200
    assert resp.data.startswith(b"%PDF")
