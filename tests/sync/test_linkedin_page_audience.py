"""A LinkedIn Company Page's audience and page views end to end: the picker, then real RQ workers
syncing against the sandbox (the weekly audience read stored as a dated snapshot in shares, page views
backfilled as daily insights), the page and the API showing them; a Page below the threshold; a
malformed answer keeping the stored snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.extensions import db
from app.models import AudienceSnapshot, Connection
from app.models.history import AccountInsight
from app.queueing import dispatch
from tests.support.connect import connect, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs

HOSTILE = "<img src=x onerror=alert(1)> Widgets"
AUDIENCE = {
    "countries": [{"code": "US", "share": 60}, {"code": "DE", "share": 40}],
    "seniority": {"4": 50, "6": 30, "10": 20},
    "industries": {"137": 70, "9001": 20, "9002": 10},  # 9002: not named by LinkedIn
    "industry_names": {"9001": HOSTILE},
    "functions": {"12": 75, "25": 25},
    "company_sizes": {"SIZE_11_TO_50": 25, "SIZE_2_TO_10": 75},
    "regions": [{"geo": "90009496", "share": 100}],
    "employees": 12,
}


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _page(app: Any, client: Any, world: SandboxControl, followers: int, **truths: Any) -> Connection:
    acc = world.create_account("linkedin", "li.admin", followers, seed=21)
    world.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "555001", "followers_percent": 50, **truths}])
    client.login("creator@example.com")
    picker = connect(client, world, "linkedin", acc["id"]).headers["Location"]
    client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    db.session.expire_all()
    [conn] = db.session.execute(select(Connection)).scalars()
    drain(app)
    return conn


def _snapshots(conn_id: int) -> list[AudienceSnapshot]:
    db.session.expire_all()
    stmt = select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn_id).order_by(AudienceSnapshot.taken_on)
    return list(db.session.execute(stmt).scalars())


def test_the_pages_audience_and_page_views_sync_and_show(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    conn = _page(app, client, world, 10_000, audience=AUDIENCE, page_views={yesterday.isoformat(): 321})
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    [snap] = _snapshots(conn.id)
    assert snap.taken_on == datetime.now(UTC).date()
    assert snap.base == 5_000  # the Page's followers (50 % of 10,000)
    # 5,000 followers: US int(5,000 x 60 %) = 3,000, DE 2,000 -> 60.0 / 40.0 % (organic + paid)
    assert snap.payload["countries"] == [{"code": "US", "share": 60.0}, {"code": "DE", "share": 40.0}]
    assert snap.payload["regions"] == [{"name": "Greater London", "share": 100.0}]
    assert snap.payload["seniority"] == {"4": 50.0, "6": 30.0, "10": 20.0}
    assert snap.payload["industries"] == {"Human Resources Services": 70.0, HOSTILE: 20.0, "other": 10.0}
    assert snap.payload["functions"] == {"12": 75.0, "25": 25.0}
    assert snap.payload["company_sizes"] == {"SIZE_2_TO_10": 75.0, "SIZE_11_TO_50": 25.0}
    assert snap.payload["employee_followers"] == 12
    views = db.session.execute(
        select(AccountInsight).where(AccountInsight.connection_id == conn.id, AccountInsight.metric == "page_views")
    ).scalars()
    by_day = {r.day: r for r in views}
    assert by_day[yesterday].value == 321
    assert by_day[yesterday].provenance == "backfilled"
    assert min(by_day) == yesterday - timedelta(days=364)  # the first sync's year (the 12 months LinkedIn keeps)

    text = client.get("/portal/analytics/linkedin?range=30d").get_data(as_text=True)
    for words in (
        ">Senior<",
        ">Owner<",
        ">Human Resources<",
        ">2-10 employees<",
        ">United States<",
        ">Greater London<",
        ">Human Resources Services<",
        ">Other industries<",
        "Page views",
    ):
        assert words in text, words
    assert "&lt;img src=x onerror=alert(1)&gt; Widgets" in text
    assert "<img src=x" not in text
    assert "urn:li:" not in text
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert answer["available"] is True
    assert answer["seniority"] == {"4": 50.0, "6": 30.0, "10": 20.0}
    insights = client.get("/api/portal/social/linkedin/insights?range=7d").get_json()
    assert [d["page_views"] for d in insights["days"] if d["day"] == yesterday.isoformat()] == [321.0]


def test_a_page_below_the_threshold_is_told_so(app: Any, client: Any, creator: Any, world: SandboxControl) -> None:
    conn = _page(app, client, world, 150)  # the Page: 75 followers, under the sandbox's 100
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.error_class, run.error_message, run.details)
    [snap] = _snapshots(conn.id)
    assert snap.payload == {}  # read, stored empty: "none", not "not read yet"
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert answer["available"] is False
    assert answer["reason"].startswith("Shown once the Page has enough followers")
    text = client.get("/portal/analytics/linkedin?range=30d").get_data(as_text=True)
    assert "Shown once the Page has enough followers" in text


def test_a_malformed_answer_keeps_the_stored_snapshot(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    conn = _page(app, client, world, 10_000, audience=AUDIENCE)
    [first] = _snapshots(conn.id)
    week_ago = first.taken_on - timedelta(days=8)
    db.session.execute(update(AudienceSnapshot).where(AudienceSnapshot.id == first.id).values(taken_on=week_ago))
    db.session.commit()
    # the daily follower gains and the lifetime facets share the path: both answers garbled
    world.add_fault("linkedin", "malformed", times=2, path_contains="organizationalEntityFollowerStatistics")
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == "partial", (run.status, run.error_message)
    assert any("audience" in n for n in run.details["notes"])
    [kept] = _snapshots(conn.id)
    assert kept.taken_on == week_ago
    assert kept.payload["seniority"] == {"4": 50.0, "6": 30.0, "10": 20.0}
    answer = client.get("/api/portal/social/linkedin/audience").get_json()
    assert (answer["available"], answer["as_of"]) == (True, week_ago.isoformat())
