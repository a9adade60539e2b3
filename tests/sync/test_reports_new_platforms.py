"""LinkedIn (a member), a Facebook Page and X in the weekly, monthly and programme reports (the
payload, the report page, the PDF read back with pdftotext) and in the CSV/JSON exports, with numbers
computed by hand from the sandbox's truths. Real OAuth round trips, real sync and report workers.

The truths: each account gains a fixed number of followers a day (``daily_changes``); the first sync
measures today's count F and backfills the history from the daily gains (docs/sync.md "Backfill"),
so yesterday is carried at F and every earlier day d is ``F - gain * (yesterday - d)``. The LinkedIn
member has under 250 followers, so the sandbox's daily losses (0.04-0.2 % of the day before, rounded)
are 0 and LinkedIn's gains-only series is exact. X gives no follower history: its curve starts today.
"""

from __future__ import annotations

import calendar
import csv
import io
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.extensions import db
from app.models import Report
from app.queueing.queues import REPORTS, get_queue
from app.redis_conn import get_redis
from tests.sync.conftest import drain

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")

#: platform -> (followers today, gained a day)
TRUTH = {"linkedin": (240, 2), "facebook": (12_345, 5), "x": (5_321, 5)}
POST_DAYS = (2, 5)  # days ago; likes 30 + d, 3 comments, 1 share: 36 and 39 interactions


def _pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S603,S607
    return unicodedata.normalize("NFKC", out)


def _followers(platform: str, day: date, today: date) -> int:
    """The hand computation: F on yesterday (carried) and today, F - gain * days before yesterday."""
    now, gain = TRUTH[platform]
    return now - gain * max((today - timedelta(days=1) - day).days, 0)


def _rate(interactions: int, platform: str) -> float:
    return interactions / TRUTH[platform][0] * 100


@pytest.fixture
def synced(app: Any, link: Any, creator: Any) -> Any:
    today = datetime.now(UTC).date()
    creator.program_start = today - timedelta(days=30)
    db.session.commit()
    now = datetime.now(UTC)
    for platform, (followers, gain) in TRUTH.items():
        posts = [
            {
                "published_at": (now - timedelta(days=d)).isoformat(),
                "caption": f"{platform} post {d}",
                "like_count": 30 + d,
                "comment_count": 3,
                "share_count": 1,
                "view_count": 1_000,
            }
            for d in POST_DAYS
        ]
        link(platform, followers=followers, posts=posts, daily_changes=[gain] * 90)
        drain(app)
    return creator


def _report(client: Any, kind: str) -> tuple[dict[str, Any], str, str]:
    """(payload, report page, PDF text) of a report made by the report worker, as a client asks for it."""
    assert client.hx("POST", "/reports", data={"kind": kind}).status_code == 200
    SimpleWorker([get_queue(REPORTS), get_queue("default")], connection=get_redis()).work(burst=True)
    db.session.expire_all()
    report = db.session.execute(select(Report).where(Report.kind == kind)).scalar_one()
    assert report.status == "done", (report.status, report.error)
    page = client.get(f"/reports/{report.id}")
    pdf = client.get(f"/reports/{report.id}/pdf")
    assert page.status_code == pdf.status_code == 200
    return report.payload, page.get_data(as_text=True), _pdf_text(pdf.data)


def _rows(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["platform"]: p for p in payload["platforms"]}


def _change(start: int | None, end: int | None) -> dict[str, Any]:
    net = end - start if start is not None and end is not None else None
    rate = net / start * 100 if net is not None and start else None
    return {"start": start, "end": end, "net": net, "growth_rate": pytest.approx(rate) if rate is not None else None}


def test_weekly_report_of_linkedin_facebook_and_x(synced: Any, client: Any) -> None:
    today = datetime.now(UTC).date()
    payload, page, text = _report(client, "weekly")
    first, last = today - timedelta(days=7), today - timedelta(days=1)  # the last complete week
    assert payload["period"] == {"start": first.isoformat(), "end": last.isoformat(), "days": 7}
    rows = _rows(payload)
    assert set(rows) == {"linkedin", "facebook", "x"}
    # LinkedIn 226 -> 240 (+14 = 7 x 2); Facebook 12,310 -> 12,345 (+35 = 7 x 5); X nothing yet
    for platform in ("linkedin", "facebook"):
        start = _followers(platform, first - timedelta(days=1), today)
        assert rows[platform]["followers"] == _change(start, TRUTH[platform][0]), platform
    assert rows["linkedin"]["followers"]["start"] == 226
    assert rows["facebook"]["followers"]["start"] == 12_310
    assert rows["x"]["followers"] == _change(None, None)  # X's curve starts today, after the week
    assert payload["total"] == _change(226 + 12_310, 240 + 12_345)
    # engagement of the week's two posts each: (36 + 39) / 2 interactions over the followers
    for platform in TRUTH:
        assert rows[platform]["engagement_end"] == pytest.approx(_rate(37.5, platform)), platform
    assert rows["linkedin"]["engagement_end"] == pytest.approx(15.625)
    all_rates = [_rate(i, p) for p in TRUTH for i in (36, 39)]
    assert payload["engagement"]["rate"] == pytest.approx(sum(all_rates) / 6)
    assert payload["engagement"]["posts"] == 6
    # the best post of the week: LinkedIn's 39 interactions over 240 followers, 16.25 %
    assert (payload["top_post"]["platform"], payload["top_post"]["caption"]) == ("linkedin", "linkedin post 5")
    assert payload["top_post"]["engagement_rate"] == pytest.approx(16.25)
    for shown in (page, text):
        for needle in ("LinkedIn", "Facebook", "12,345", "12,310", "+35", "226", "240", "+14", "12,585", "+49"):
            assert needle in shown, needle
        assert "linkedin post 5" in shown


def test_monthly_report_of_linkedin_facebook_and_x(synced: Any, client: Any) -> None:
    today = datetime.now(UTC).date()
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    payload, page, text = _report(client, "monthly")
    assert payload["period"] == {"start": first.isoformat(), "end": last.isoformat(), "days": days}
    rows = _rows(payload)
    for platform, (_, gain) in TRUTH.items():
        if platform == "x":
            continue
        start = _followers(platform, first - timedelta(days=1), today)
        end = _followers(platform, last, today)
        assert rows[platform]["followers"] == _change(start, end), platform
        assert rows[platform]["followers"]["net"] == gain * days
    assert rows["x"]["followers"] == _change(None, None)
    fb_end = _followers("facebook", last, today)
    li_end = _followers("linkedin", last, today)
    for shown in (page, text):
        assert "LinkedIn" in shown
        assert "Facebook" in shown
        assert f"{fb_end:,}" in shown
        assert f"+{5 * days}" in shown
        assert f"+{2 * days}" in shown
        assert str(li_end) in shown


def test_programme_report_of_linkedin_facebook_and_x(synced: Any, client: Any) -> None:
    today = datetime.now(UTC).date()
    first = today - timedelta(days=30)
    payload, page, text = _report(client, "program")
    assert payload["period"]["start"] == first.isoformat()
    assert payload["period"]["end"] == today.isoformat()
    rows = _rows(payload)
    # the day before the programme: F - 30 x gain (LinkedIn 180, Facebook 12,195); today's measured F
    assert rows["linkedin"]["followers"] == _change(180, 240)
    assert rows["facebook"]["followers"] == _change(12_195, 12_345)
    assert _followers("facebook", first - timedelta(days=1), today) == 12_195
    # X: today's count, no start (no follower history at X), so no growth figure of its own
    assert rows["x"]["followers"] == _change(None, 5_321)
    all_rates = [_rate(i, p) for p in TRUTH for i in (36, 39)]
    assert payload["engagement"]["end"] == pytest.approx(sum(all_rates) / 6)
    for shown in (page, text):
        for needle in ("LinkedIn", "Facebook", "X", "5,321", "12,345", "12,195", "+150", "180", "+60"):
            assert needle in shown, needle


def test_exports_of_linkedin_facebook_and_x(synced: Any, client: Any) -> None:
    today = datetime.now(UTC).date()
    for platform, (followers, _) in TRUTH.items():
        resp = client.get(f"/api/portal/social/export?format=csv&dataset=snapshots&range=30d&platform={platform}")
        assert resp.status_code == 200
        body = resp.get_data(as_text=True).split("\n", 1)[1]  # after the "data as of" line
        rows = {r["day"]: r for r in csv.DictReader(io.StringIO(body))}
        assert {r["platform"] for r in rows.values()} == {platform}
        assert rows[today.isoformat()]["followers"] == str(followers)
        assert rows[today.isoformat()]["provenance"] == "measured"
        if platform == "x":
            assert list(rows) == [today.isoformat()]  # no history before the connect day
            continue
        for back in (2, 10, 29):
            day = today - timedelta(days=back)
            assert rows[day.isoformat()]["followers"] == str(_followers(platform, day, today)), (platform, back)
            assert rows[day.isoformat()]["provenance"] == "backfilled"

        content = client.get(f"/api/portal/social/export?format=json&dataset=content&range=30d&platform={platform}")
        assert content.status_code == 200
        posts = {r["caption"]: r for r in content.get_json()["rows"]}
        assert set(posts) == {f"{platform} post {d}" for d in POST_DAYS}
        for d in POST_DAYS:
            row = posts[f"{platform} post {d}"]
            assert (row["likes"], row["comments"], row["shares"]) == (30 + d, 3, 1)
            assert row["interactions"] == 34 + d
            assert row["followers_at_measure"] == followers
            assert row["engagement_rate"] == pytest.approx(_rate(34 + d, platform))
    # X's posts in the CSV too (replies and reposts as comments and shares)
    resp = client.get("/api/portal/social/export?format=csv&dataset=content&range=30d&platform=x")
    body = resp.get_data(as_text=True).split("\n", 1)[1]
    rows = {r["caption"]: r for r in csv.DictReader(io.StringIO(body))}
    assert (rows["x post 2"]["likes"], rows["x post 2"]["interactions"], rows["x post 2"]["followers_at_measure"]) == (
        "32",
        "36",
        "5321",
    )
    assert float(rows["x post 5"]["engagement_rate"]) == pytest.approx(39 / 5_321 * 100)
