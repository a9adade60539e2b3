"""Reports by need: the weekly job emails a link to the web report and renders no PDF; the first PDF
request renders and stores it, later ones are served from storage; concurrent first requests render
once; clients who usually download get theirs rendered ahead; a PDF never disagrees with its report
after the data changes."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Connection, OutboxEmail, Report, ReportFile
from app.models.base import utcnow
from app.models.history import DailySnapshot
from app.reports import service
from tests.reports.test_reports import END, _work

MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # 09:00 in Europe/Berlin: the week Nov 9..15


def _files() -> int:
    return int(db.session.execute(select(func.count()).select_from(ReportFile)).scalar_one())


def _weekly(seeded) -> Report:
    assert service.weekly_fanout(MONDAY) == 1
    _work()
    db.session.expire_all()
    return db.session.execute(
        select(Report).where(Report.client_id == seeded.id, Report.week_key == "2026W47")
    ).scalar_one()


def _link(report: Report) -> str:
    _, token = service.issue_link(report, "zoe@example.com", None)
    db.session.commit()
    return f"/r/{report.id}/{token}"


def test_the_weekly_email_links_to_the_web_report_and_no_pdf_is_rendered(app, client, seeded):
    report = _weekly(seeded)
    assert report.status == "done"
    assert report.payload is not None
    assert _files() == 0  # no PDF rendered by the job
    email = db.session.execute(select(OutboxEmail)).scalar_one()
    url = f"/r/{report.id}/"
    assert url in email.body_text
    assert url in (email.body_html or "")
    token = email.body_text.split(url, 1)[1].split()[0].strip(".,)")
    client.auto_csrf = False
    page = client.post(f"{url}{token}")  # the link opens the web report
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "Zoë Fischer" in page.get_data(as_text=True)
    assert _files() == 0  # opening the page renders no PDF either


def test_the_first_pdf_request_renders_and_stores_the_next_is_served_from_storage(app, client, seeded):
    report = _weekly(seeded)
    url = _link(report)
    client.auto_csrf = False
    first = client.post(url, data={"format": "pdf"})
    assert first.status_code == 200
    assert first.data.startswith(b"%PDF")
    stored = db.session.execute(select(ReportFile)).scalar_one()
    assert stored.pdf == first.data
    # the stored bytes are what is served afterwards (marked, so a re-render would show)
    db.session.execute(update(ReportFile).values(pdf=b"%PDF-1.4 stored copy"))
    db.session.commit()
    second = client.post(url, data={"format": "pdf"})
    assert second.status_code == 200
    assert second.data == b"%PDF-1.4 stored copy"
    db.session.expire_all()
    assert db.session.get(Report, report.id).pdf_downloads == 2
    # the logged-in download serves the same stored bytes
    client.auto_csrf = True
    client.login("zoe@example.com")
    own = client.get(f"/reports/{report.id}/pdf")
    assert own.status_code == 200
    assert own.data == b"%PDF-1.4 stored copy"


def test_concurrent_first_requests_render_once(app, make_app, seeded, caplog):
    report = _weekly(seeded)
    url = _link(report)
    results: list[tuple[int, bytes]] = []
    start = threading.Barrier(4)

    def ask() -> None:
        with app.app_context():
            web = app.test_client()
            web.auto_csrf = False
            start.wait()
            resp = web.post(url, data={"format": "pdf"})
            results.append((resp.status_code, resp.data))
            db.session.remove()

    caplog.set_level(logging.INFO, logger="app.reports.pdf_store")
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [code for code, _ in results] == [200] * 4
    assert len({data for _, data in results}) == 1
    assert results[0][1].startswith(b"%PDF")
    renders = [r for r in caplog.records if getattr(r, "event", None) == "report_pdf_rendered"]
    assert len(renders) == 1
    assert _files() == 1


def test_clients_who_usually_download_get_the_pdf_rendered_ahead(app, seeded):
    for weeks_ago, downloads in ((3, 1), (2, 0), (1, 2)):  # two of the last reports were downloaded
        start = END - timedelta(days=6 + 7 * weeks_ago)
        db.session.add(
            Report(
                kind="weekly",
                client_id=seeded.id,
                period_start=start,
                period_end=start + timedelta(days=6),
                week_key=f"2026W{46 - weeks_ago}",
                status="done",
                progress=100,
                pdf_downloads=downloads,
            )
        )
    db.session.commit()
    report = _weekly(seeded)
    assert report.week_key == "2026W47"
    assert db.session.get(ReportFile, report.id) is not None  # rendered ahead by the job


def test_a_pdf_never_disagrees_with_its_report_after_the_data_changes(app, client, seeded):
    """The sent report's PDF, drawn later, shows the numbers that were sent; a report asked for after
    the data changed is a new report with its own PDF."""
    today = END + timedelta(days=1)
    client.login("zoe@example.com")
    before = service.request_report(seeded.user, "weekly", client=seeded, today=today)
    _work()
    first = client.get(f"/reports/{before.id}/pdf")
    assert first.status_code == 200
    # a sync brings a new last day: 1,100 -> 1,500 followers on Instagram
    ig = db.session.execute(select(Connection).where(Connection.platform == "instagram")).scalar_one()
    db.session.execute(
        update(DailySnapshot)
        .where(DailySnapshot.connection_id == ig.id, DailySnapshot.day == END)
        .values(followers=1500)
    )
    ig.last_sync_at = utcnow()
    db.session.commit()
    after = service.request_report(seeded.user, "weekly", client=seeded, today=today)
    assert after.id != before.id  # a new fingerprint: not the old report (nor its PDF)
    _work()
    db.session.expire_all()
    assert db.session.get(Report, before.id).payload["total"]["end"] == 1600
    assert db.session.get(Report, after.id).payload["total"]["end"] == 2000
    again = client.get(f"/reports/{before.id}/pdf")
    assert again.data == first.data  # the sent report's PDF is unchanged
    fresh = client.get(f"/reports/{after.id}/pdf")
    assert fresh.status_code == 200
    assert fresh.data != first.data
