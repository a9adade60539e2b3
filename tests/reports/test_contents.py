"""Programme completion and portfolio reports (payload, page, PDF read back with pdftotext), the
share switch and public page, the CRM report section, admin exports against the database, cache
reuse, the retention purge (D5) and a PDF render that opens no socket (W7)."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Connection,
    ContentItem,
    DailySnapshot,
    OutboxEmail,
    Report,
    ReportFile,
    ReportLink,
    ReportSettings,
)
from app.queueing import dispatch
from app.reports import build, service
from app.reports import formatting as fmt
from app.stats.overview import client_overview
from tests.reports.test_reports import _text, _work, needs_pdftotext
from tests.support import history

TODAY = date(2026, 11, 20)
START, END = date(2026, 9, 1), date(2026, 11, 15)
COMMENT = "Great work, 健二! =1+1 <b>bold</b> <script>alert(1)</script>"


@pytest.fixture
def program(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="渡辺 健二", email="kenji@example.com", program_start=START, program_end=END)
    ig = history.connection(c, "instagram", username="kenji_ig")
    history.daily(ig, START - timedelta(days=1), [1000 + 10 * i for i in range(77)])  # 1,000 -> 1,760
    yt = history.connection(c, "youtube", username="kenji_yt")
    history.daily(yt, START - timedelta(days=1), [200 + i for i in range(77)])  # 200 -> 276
    factory.deliverable(c, "M1", "Brand audit", completed_at=datetime(2026, 10, 5, 9, tzinfo=UTC))
    factory.deliverable(c, "M2", "Content plan")
    for d in (6, 13, 20):  # three Tuesdays 12:30 UTC, 10% each, #reels
        history.post(
            ig,
            datetime(2026, 10, d, 12, 30, tzinfo=UTC),
            likes=80,
            comments=20,
            followers=1000,
            hashtags=["reels"],
            caption=f"reel day {d}",
        )
    for d in (3, 4):  # programme start, 1% each, #tips
        history.post(ig, date(2026, 9, d), likes=10, comments=0, followers=1000, hashtags=["tips"], caption="tips")
    return c


def _expected_milestones(c):
    first, end = build.program_window(c, TODAY)
    ov = client_overview(c, build._query(c, first - timedelta(days=1), end), top_n=3)
    return {m.code: m.gain for m in ov.milestones}


def test_program_payload_numbers(app, program):
    r = build.program(program, TODAY, COMMENT)
    assert r["period"] == {"start": "2026-09-01", "end": "2026-11-15", "days": 76}
    by = {p["platform"]: p["followers"] for p in r["platforms"]}
    assert by["instagram"] == {"start": 1000, "end": 1760, "net": 760, "growth_rate": 76.0}
    assert by["youtube"] == {"start": 200, "end": 276, "net": 76, "growth_rate": 38.0}
    assert r["total"]["start"] == 1200
    assert r["total"]["end"] == 2036
    assert r["total"]["net"] == 836
    assert r["total"]["growth_rate"] == pytest.approx(836 / 1200 * 100)
    assert r["engagement"]["start"] == pytest.approx(1.0)
    assert r["engagement"]["end"] == pytest.approx(10.0)
    assert r["engagement"]["change_points"] == pytest.approx(9.0)
    gains = _expected_milestones(program)
    ms = {m["code"]: m for m in r["milestones"]}
    assert ms["M1"]["month"] == "October 2026"
    assert ms["M1"]["gain"] == gains["M1"]
    assert not ms["M1"]["so_far"]
    assert ms["M2"]["month"] is None
    assert ms["M2"]["so_far"]
    assert ms["M2"]["gain"] == gains["M2"]
    assert r["best_theme"] == {"label": "#reels", "source": "hashtag", "posts": 3, "median_rate": 10.0}
    assert (r["best_slot"]["weekday"], r["best_slot"]["from"], r["best_slot"]["to"]) == ("Tue", "12:00", "14:00")
    assert r["coach_comment"] == COMMENT
    assert [c["title"] for c in r["charts"]] == ["Followers over the programme"]
    assert "<svg" in r["charts"][0]["svg"]


@needs_pdftotext
def test_program_pdf_reads_back(app, program):
    r = build.program(program, TODAY, COMMENT)
    data = service.render_report_pdf(r)
    assert data.startswith(b"%PDF")
    text = _text(data)
    chart = text[text.index("Followers over the programme") : text.index("Milestones and deliverables")]
    assert "2K" in chart  # compact axis labels
    assert "M1" in chart  # the milestone marker is labelled on the chart itself (readable in print)
    assert "Instagram" in chart
    assert "Total" in chart
    gains = _expected_milestones(program)
    for needle in (
        "渡辺 健二",
        "Programme report",
        "Sep 1 – Nov 15, 2026",
        "1,000",
        "1,760",
        "+760",
        "+76.0%",
        "200",
        "276",
        "+38.0%",
        "1,200",
        "2,036",
        "+836",
        "+69.7%",
        "1.0%",
        "10.0%",
        "+9.0 pts",
        "M1 Brand audit",
        "October 2026",
        f"{gains['M1']:+,}",
        "M2 Content plan",
        "in progress",
        f"{gains['M2']:+,} (so far)",
        "#reels (3 posts",
        "Tue 12:00–14:00 (UTC)",
        "Followers over the programme",
        COMMENT,
    ):
        assert needle in text, needle


def test_program_page_via_job_with_coach_comment(app, client, program):
    client.login("coach@example.com")
    resp = client.hx("POST", "/reports", data={"kind": "program", "client_id": str(program.id), "comment": COMMENT})
    assert resp.status_code == 200
    _work()
    report = db.session.execute(select(Report)).scalar_one()
    assert report.status == "done"
    assert report.coach_comment == COMMENT
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    for needle in ("渡辺 健二", "+760", "+76.0%", "+836", "October 2026", "#reels", "Tue 12:00–14:00", "<svg"):
        assert needle in page, needle
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


@pytest.fixture
def cohorts(factory, program):
    coach = db.session.execute(
        select(type(program.coach)).where(type(program.coach).email == "coach@example.com")
    ).scalar_one()
    other = factory.client(coach=coach, name="Zoë Fischer", email="zoe@example.com", program_start=date(2026, 10, 1))
    ig = history.connection(other, "instagram", username="zoe_ig")
    history.daily(ig, TODAY - timedelta(days=40), [300] * 41)
    stranger = factory.client(name="Not Mine", email="x@example.com", program_start=date(2026, 9, 1))
    history.daily(history.connection(stranger, "tiktok"), TODAY - timedelta(days=40), [999] * 41)
    return program, other


@needs_pdftotext
def test_portfolio_report_all_and_cohort(app, client, cohorts):
    kenji, zoe = cohorts
    with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=UTC), tick=True):
        client.login("coach@example.com")
        page = client.get("/admin/reports/portfolio").get_data(as_text=True)
        assert "<option>2026-09</option>" in page
        assert "<option>2026-10</option>" in page
        assert client.hx("POST", "/reports", data={"kind": "portfolio"}).status_code == 200
        assert client.hx("POST", "/reports", data={"kind": "portfolio", "cohort": "2026-10"}).status_code == 200
        _work()
        assert client.hx("POST", "/reports", data={"kind": "portfolio", "cohort": "2026-13"}).status_code == 400
        every, cohort = db.session.execute(select(Report).order_by(Report.id)).scalars().all()
        assert every.status == cohort.status == "done"
        assert cohort.cohort == "2026-10"
        assert every.payload["clients"] == 2
        assert {row["name"] for row in every.payload["leaderboard"]} == {
            "渡辺 健二",
            "Zoë Fischer",
        }
        assert every.payload["total_followers"] == 2036 + 300  # the stranger's 999 is another coach's
        assert cohort.payload["clients"] == 1
        assert [r["name"] for r in cohort.payload["leaderboard"]] == ["Zoë Fischer"]
        text = _text(client.get(f"/reports/{cohort.id}/pdf").data)
        assert "cohort 2026-10" in text
        assert "Zoë Fischer" in text
        assert "渡辺" not in text
        assert "Not Mine" not in text
        html = client.get(f"/reports/{every.id}").get_data(as_text=True)
        assert "2,336" in html
        assert "Not Mine" not in html


# ---------------------------------------------------------------- share


def test_share_toggle_and_public_page(app, client, program):
    client.login("kenji@example.com")
    on = client.hx("POST", "/reports/share", data={"enabled": "1"})
    body = on.get_data(as_text=True)
    assert on.status_code == 200
    assert "Turn sharing off" in body
    url = body.split("<code>")[1].split("</code>")[0]
    path = url[url.index("/s/") :]
    row = db.session.get(ReportSettings, program.id)
    assert row.share_token_hash
    assert path.rsplit("/", 1)[1] not in row.share_token_hash
    client.logout()

    public = app.test_client()
    first = public.get(path)  # a scanner's GET: interstitial only
    assert first.status_code == 200
    assert "Set-Cookie" not in first.headers
    assert first.headers["Referrer-Policy"] == "no-referrer"
    interstitial = first.get_data(as_text=True)
    assert 'class="report ' not in interstitial  # the report itself only after the POST
    assert '<meta property="og:title" content="渡辺 健二 · Programme report · Creator Portal">' in interstitial
    shown = public.post(path)
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Set-Cookie" not in shown.headers
    assert "渡辺 健二" in text
    assert "+836" in text
    assert "October 2026" in text
    assert "csrf_token" not in text
    assert "Turn sharing" not in text
    assert public.get("/portal").status_code == 302  # no session came with it

    client.login("kenji@example.com")
    program_report = service.request_report(program.user, "program", client=program, comment=None, today=TODAY)
    program_report.coach_comment = "private note"
    db.session.commit()
    assert "private note" not in public.post(path).get_data(as_text=True)

    off = client.hx("POST", "/reports/share", data={"enabled": "0"})
    assert "Turn sharing on" in off.get_data(as_text=True)
    assert public.post(path).status_code == 410
    assert public.get(path).status_code == 410
    again = client.hx("POST", "/reports/share", data={"enabled": "1"}).get_data(as_text=True)
    new_path = again.split("<code>")[1].split("</code>")[0]
    assert new_path[new_path.index("/s/") :] != path
    assert public.post(path).status_code == 410
    assert public.post(new_path[new_path.index("/s/") :]).status_code == 200
    assert public.post("/s/" + "0" * 64).status_code == 410


def test_share_switch_without_javascript_returns_to_the_whole_page(app, client, program):
    """A plain form post (no htmx) goes back to the reports page: its history stays listed."""
    client.login("kenji@example.com")
    made = service.request_report(program.user, "weekly", client=program, comment=None, today=TODAY)
    resp = client.post("/reports/share", data={"enabled": "1"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/reports"
    page = client.get("/reports").get_data(as_text=True)
    assert "Share link turned on." in page
    assert "/s/" in page
    assert "Turn sharing off" in page
    assert "No reports yet." not in page
    assert f"Weekly · {fmt.period(made.period_start, made.period_end)}" in page
    resp = client.post("/reports/share", data={"enabled": "0"})
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Share link turned off." in page
    assert "Sharing is off." in page
    assert f"Weekly · {fmt.period(made.period_start, made.period_end)}" in page


def test_share_is_the_clients_own_switch(app, client, program):
    client.login("coach@example.com")
    assert client.hx("POST", "/reports/share", data={"enabled": "1"}).status_code in (403, 404)
    assert db.session.get(ReportSettings, program.id) is None


# ---------------------------------------------------------------- CRM section


def test_crm_settings_history_and_revoke(app, client, program, factory):
    client.login("coach@example.com")
    url = f"/admin/clients/{program.id}/reports"
    page = client.get(url).get_data(as_text=True)
    assert "No reports sent yet." in page
    resp = client.hx("POST", f"{url}/settings", data={"weekly": "on", "to_client": "on", "to_coach": "on"})
    assert resp.status_code == 200
    assert "Report settings saved." in resp.headers.get("HX-Trigger", "")
    row = db.session.get(ReportSettings, program.id)
    assert (row.weekly_enabled, row.send_to_client, row.send_to_coach) == (True, True, True)

    report = Report(
        kind="weekly",
        client_id=program.id,
        period_start=END - timedelta(days=6),
        period_end=END,
        status="queued",
        progress=0,
    )
    db.session.add(report)
    db.session.commit()
    service.generate(report.id)
    assert len(service.send_report(report)) == 2
    assert sorted(e.to_address for e in db.session.execute(select(OutboxEmail)).scalars()) == [
        "coach@example.com",
        "kenji@example.com",
    ]
    history_page = client.get(url).get_data(as_text=True)
    assert history_page.count("Revoke</button>") == 2
    assert "kenji@example.com" in history_page

    link = db.session.execute(select(ReportLink).where(ReportLink.recipient_email == "kenji@example.com")).scalar_one()
    revoked = client.hx("POST", f"{url}/links/{link.id}/revoke")
    assert revoked.status_code == 200
    assert "Link revoked." in revoked.headers.get("HX-Trigger", "")
    db.session.refresh(link)
    assert link.revoked_at is not None
    assert revoked.get_data(as_text=True).count("Revoke</button>") == 1

    client.hx("POST", f"{url}/settings", data={})  # unchecked boxes: weekly off, nobody
    db.session.refresh(row)
    assert (row.weekly_enabled, row.send_to_client, row.send_to_coach) == (False, False, False)
    assert service.weekly_fanout(datetime(2026, 11, 16, 8, tzinfo=UTC)) == 0

    client.logout()
    factory.coach(email="coach-b@example.com")
    client.login("coach-b@example.com")
    assert client.get(url).status_code == 404
    assert client.hx("POST", f"{url}/links/{link.id}/revoke").status_code == 404
    assert client.hx("POST", f"{url}/settings", data={"weekly": "on"}).status_code == 404
    db.session.refresh(row)
    assert row.weekly_enabled is False


# ---------------------------------------------------------------- admin exports


def _csv(resp):
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    return rows[0], rows[1], rows[2:]


def test_admin_client_export_matches_db(app, client, program):
    client.login("coach@example.com")
    base = f"/api/admin/social/clients/{program.id}/export?start={START}&end={END}"
    stamp, header, body = _csv(client.get(base + "&format=csv"))
    db_rows = db.session.execute(
        select(DailySnapshot.day, DailySnapshot.followers)
        .where(DailySnapshot.day >= START, DailySnapshot.day <= END)
        .order_by(DailySnapshot.connection_id, DailySnapshot.day)
    ).all()
    assert [(date.fromisoformat(r[header.index("day")]), int(r[header.index("followers")])) for r in body] == [
        tuple(r) for r in db_rows
    ]
    content = client.get(base + "&format=json&dataset=content")
    data = json.loads(content.get_data(as_text=True))
    items = (
        db.session.execute(
            select(ContentItem)
            .where(ContentItem.published_at >= datetime(2026, 9, 1, tzinfo=UTC))
            .order_by(ContentItem.published_at)
        )
        .scalars()
        .all()
    )
    assert [(r["content_id"], r["likes"], r["comments"]) for r in data["rows"]] == [
        (i.id, i.likes, i.comments) for i in items
    ]
    assert content.headers["Content-Disposition"].startswith(f'attachment; filename="client-{program.id}-content-')


def test_admin_portfolio_export_matches_db_and_scope(app, client, cohorts):
    client.login("coach@example.com")
    resp = client.get(f"/api/admin/social/portfolio/export?format=json&start={TODAY - timedelta(days=10)}&end={TODAY}")
    data = json.loads(resp.get_data(as_text=True))
    kenji, zoe = cohorts
    mine = {kenji.id, zoe.id}
    expected = db.session.execute(
        select(func.count())
        .select_from(DailySnapshot)
        .join(Connection, Connection.id == DailySnapshot.connection_id)
        .where(
            DailySnapshot.day >= TODAY - timedelta(days=10), DailySnapshot.day <= TODAY, Connection.client_id.in_(mine)
        )
    ).scalar()
    assert expected == 2 * 6 + 11  # Kenji's two accounts end on Nov 15
    assert len(data["rows"]) == expected
    assert {r["client_id"] for r in data["rows"]} <= mine
    assert 999 not in {r["followers"] for r in data["rows"]}
    client.logout()
    client.login("kenji@example.com")
    assert client.get("/api/admin/social/portfolio/export").status_code in (403, 404)


def test_large_export_is_streamed(app, client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Big", email="big@example.com")
    conn = history.connection(c, "instagram")
    first = date(2022, 1, 1)
    history.daily(conn, first, list(range(1500)))
    client.login("coach@example.com")
    end = first + timedelta(days=1600)
    resp = client.get(f"/api/admin/social/clients/{c.id}/export?format=csv&start={first}&end={end}", buffered=False)
    assert resp.status_code == 200
    assert resp.is_streamed
    chunks = list(resp.response)
    assert len(chunks) >= 3  # written every 500 rows, not built in memory
    rows = list(csv.reader(io.StringIO("".join(c.decode() if isinstance(c, bytes) else c for c in chunks))))
    assert len(rows) == 2 + 1500
    resp.close()


# ---------------------------------------------------------------- cache


def test_finished_report_is_reused_until_the_data_changes(app, client, program):
    client.login("kenji@example.com")
    client.hx("POST", "/reports", data={"kind": "program"})
    _work()
    first = db.session.execute(select(Report)).scalar_one()
    assert first.status == "done"
    again = client.hx("POST", "/reports", data={"kind": "program"})
    assert again.status_code == 286
    assert "Download PDF" in again.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Report)).scalar() == 1
    ig = db.session.execute(select(Connection).where(Connection.client_id == program.id)).scalars().first()
    ig.last_sync_at = datetime(2026, 11, 16, 3, tzinfo=UTC)  # a sync brought new data
    db.session.commit()
    fresh = client.hx("POST", "/reports", data={"kind": "program"})
    assert fresh.status_code == 200
    assert 'hx-trigger="every 2s"' in fresh.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Report)).scalar() == 2
    _work()
    d = program.deliverables[1]
    d.completed_at = datetime(2026, 11, 10, tzinfo=UTC)  # a deliverable completed
    db.session.commit()
    client.hx("POST", "/reports", data={"kind": "program"})
    assert db.session.execute(select(func.count()).select_from(Report)).scalar() == 3


# ---------------------------------------------------------------- retention (D5)


def test_retention_purge(app, program):
    with time_machine.travel(datetime(2026, 8, 1, 9, tzinfo=UTC), tick=False):
        old = Report(
            kind="weekly",
            client_id=program.id,
            period_start=date(2026, 7, 20),
            period_end=date(2026, 7, 26),
            status="queued",
            progress=0,
        )
        db.session.add(old)
        db.session.commit()
        service.generate(old.id)
        old_link, _ = service.issue_link(old, "kenji@example.com", None)
        db.session.commit()
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=UTC), tick=False):
        recent = Report(
            kind="weekly",
            client_id=program.id,
            period_start=date(2026, 9, 21),
            period_end=date(2026, 9, 27),
            status="queued",
            progress=0,
        )
        db.session.add(recent)
        db.session.commit()
        service.generate(recent.id)
        expired_link, _ = service.issue_link(recent, "a@example.com", None, days=1)  # expires Oct 2
        live_link, _ = service.issue_link(recent, "b@example.com", None)  # expires Oct 8
        db.session.commit()
    ids = (old.id, recent.id, old_link.id, expired_link.id, live_link.id)
    assert db.session.get(ReportFile, old.id) is not None
    assert db.session.get(ReportFile, recent.id) is not None

    with time_machine.travel(datetime(2026, 10, 30, 9, tzinfo=UTC), tick=False):  # 90 days after Aug 1 = Oct 30 9:00
        assert service.purge() == 0
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=UTC), tick=False):
        assert service.purge() == 1
    db.session.expire_all()
    assert db.session.get(Report, ids[0]) is None
    assert db.session.get(ReportFile, ids[0]) is None
    assert db.session.get(ReportLink, ids[2]) is None  # went with its report
    assert db.session.get(Report, ids[1]) is not None
    assert db.session.get(ReportFile, ids[1]) is not None
    assert db.session.get(ReportLink, ids[3]) is None  # expired > 30 days ago
    assert db.session.get(ReportLink, ids[4]) is not None  # expired < 30 days ago


# ---------------------------------------------------------------- W7


HOSTILE = (
    '<img src="file:///etc/passwd"> <link href="http://169.254.169.254/"> '
    "<style>@import url(http://x);</style> @import url(http://x) "
    '<img src="http://169.254.169.254/latest/meta-data/"> <a href="javascript:alert(1)">x</a>'
)


@needs_pdftotext
def test_pdf_render_opens_no_socket(app, program, monkeypatch):
    attempts: list[object] = []

    def refuse(self, address):  # noqa: ANN001
        attempts.append(address)
        raise OSError("network access during PDF rendering")

    r = build.weekly(program, END)
    r["client"]["name"] = "渡辺 健二 " + HOSTILE
    r["advice"] = HOSTILE
    for payload in (r, build.program(program, TODAY, HOSTILE)):
        if payload["kind"] == "program":
            payload["top_posts"][0]["caption"] = HOSTILE
        app.extensions.pop("portal_status", None)  # no cached queue check: a template helper would ping Redis
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))
        data = service.render_report_pdf(payload)
        monkeypatch.undo()
        assert data.startswith(b"%PDF")
        assert attempts == []
        text = _text(data)
        squeezed = "".join(text.split())  # the cover's name wraps every 18 characters (pdf.HEADING_RUN)
        assert '<imgsrc="file:///etc/passwd">' in squeezed
        assert "@importurl(http://x)" in squeezed
        assert "root:" not in text


def test_report_job_has_an_explicit_time_limit(app, client, program):
    from rq.job import Job

    from app.redis_conn import get_redis
    from app.reports import pdf

    client.login("kenji@example.com")
    client.hx("POST", "/reports", data={"kind": "weekly"})
    report = db.session.execute(select(Report)).scalar_one()
    job = Job.fetch(report.job_id, connection=get_redis())
    assert job.origin == "reports"
    assert job.timeout == dispatch.REPORT_JOB_TIMEOUT == 120
    assert job.args == (report.id,)  # id-only
    assert pdf.RENDER_SECONDS < dispatch.REPORT_JOB_TIMEOUT  # the render limit fires before the job is killed
    _work()


@needs_pdftotext
def test_a_rounded_youtube_count_is_marked_in_the_report(app, factory):
    """Issue "Numbers that are true": the report marks a YouTube level that is an estimate within
    YouTube's rounding (≈, the true range, "as reported by YouTube"), in the payload and the PDF."""
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Ana", email="ana@example.com", program_start=START, program_end=END)
    yt = history.connection(c, "youtube", username="ana_yt")
    for i in range(77):
        day = START - timedelta(days=1) + timedelta(days=i)
        db.session.add(
            DailySnapshot(
                connection_id=yt.id,
                day=day,
                followers=302_400 + i,
                reported_followers=302_000,
                followers_low=302_000 + i,
                followers_high=302_923 + i,
                linked_since=START - timedelta(days=1),
                provenance="measured",
            )
        )
    db.session.commit()
    r = build.program(c, TODAY)
    row = r["platforms"][0]
    assert row["followers_range"] == [302_076, 302_999]
    assert row["start_range"] == [302_000, 302_923]  # the day before the programme, as stored
    assert row["change_exact"] is True  # one run of exactly known changes
    text = _text(service.render_report_pdf(r))
    assert "≈302,476" in text.replace(" ", "")
    assert "≈302,400" in text.replace(" ", "")  # the start value is one too
    assert "true count between 302,076 and 302,999" in " ".join(text.split())
    assert "as reported by YouTube" in " ".join(text.split())
