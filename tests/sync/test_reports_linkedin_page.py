"""A LinkedIn Company Page in the weekly, monthly and programme reports (payload, page, PDF text) and
the exports, numbers computed by hand from the sandbox's truths: the Page has half its administrator's
followers (``followers_percent`` 50), the administrator gains 4 a day, so the Page has 2,100 today and
gains exactly 2 a day; its daily ``followerGains`` backfill the history (docs/sync.md "Backfill")."""

from __future__ import annotations

import calendar
import csv
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.support.connect import connect, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain
from tests.sync.test_reports_new_platforms import _change, _report

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")

PAGE = "urn:li:organization:555001"
FOLLOWERS, GAIN = 2_100, 2


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _followers(day: Any, today: Any) -> int:
    """F on yesterday and today, F - 2 a day before yesterday (the hand computation)."""
    return FOLLOWERS - GAIN * max((today - timedelta(days=1) - day).days, 0)


@pytest.fixture
def page(app: Any, client: Any, creator: Any, world: SandboxControl) -> Any:
    today = datetime.now(UTC).date()
    creator.program_start = today - timedelta(days=30)
    db.session.commit()
    now = datetime.now(UTC)
    posts = [
        {
            "published_at": (now - timedelta(days=d)).isoformat(),
            "caption": f"Page post {d}",
            "like_count": 30 + d,
            "view_count": 1_000,
            "comment_count": 3,
            "share_count": 1,
        }
        for d in (2, 5)
    ]
    acc = world.create_account("linkedin", "li.admin", 4_200, seed=21, posts=posts, daily_changes=[4] * 120)
    world.linkedin_organizations(acc["id"], [{"name": "Acme Studio", "id": "555001", "followers_percent": 50}])
    client.login("creator@example.com")
    picker = connect(client, world, "linkedin", acc["id"]).headers["Location"]
    resp = client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": PAGE})
    assert resp.status_code == 303
    drain(app)
    return creator


def test_a_company_page_in_the_reports_and_exports(page: Any, client: Any) -> None:
    today = datetime.now(UTC).date()

    weekly, html, text = _report(client, "weekly")
    [row] = weekly["platforms"]
    assert (row["platform"], row["name"]) == ("linkedin", "LinkedIn")
    assert row["followers"] == _change(2_086, 2_100)  # 7 days x 2
    assert _followers(today - timedelta(days=8), today) == 2_086
    # the week's two posts: (36 + 39) / 2 interactions over 2,100 followers
    assert row["engagement_end"] == pytest.approx(37.5 / 2_100 * 100)
    assert weekly["top_post"]["caption"] == "Page post 5"
    for shown in (html, text):
        for needle in ("LinkedIn", "2,086", "2,100", "+14", "Page post 5"):
            assert needle in shown, needle

    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    monthly, html, text = _report(client, "monthly")
    [row] = monthly["platforms"]
    start, end = _followers(first - timedelta(days=1), today), _followers(last, today)
    assert row["followers"] == _change(start, end)
    assert end - start == GAIN * days
    for shown in (html, text):
        assert f"{end:,}" in shown
        assert f"+{GAIN * days}" in shown

    program, html, text = _report(client, "program")
    [row] = program["platforms"]
    assert row["followers"] == _change(2_040, 2_100)  # 30 days x 2 before today
    for shown in (html, text):
        for needle in ("2,040", "2,100", "+60"):
            assert needle in shown, needle

    resp = client.get("/api/portal/social/export?format=csv&dataset=snapshots&range=30d&platform=linkedin")
    rows = {r["day"]: r for r in csv.DictReader(io.StringIO(resp.get_data(as_text=True).split("\n", 1)[1]))}
    assert rows[today.isoformat()]["followers"] == "2100"
    for back in (2, 9, 29):
        day = today - timedelta(days=back)
        assert rows[day.isoformat()]["followers"] == str(_followers(day, today)), back
    content = client.get("/api/portal/social/export?format=json&dataset=content&range=30d&platform=linkedin")
    posts = {r["caption"]: r for r in content.get_json()["rows"]}
    assert posts["Page post 5"]["likes"] == 35
    assert posts["Page post 5"]["interactions"] == 39
    assert posts["Page post 5"]["followers_at_measure"] == 2_100
    assert posts["Page post 5"]["engagement_rate"] == pytest.approx(39 / 2_100 * 100)
