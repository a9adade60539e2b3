"""Thin views: code under ``app/web`` never runs SQL itself, and templates never start a query.

Every GET route is walked as an admin, a coach and a client (whole page and HTMX fragment) on a small
but complete tenant (connection, history, posts, goal, deliverable, alert, sync runs, report), with a
SQLAlchemy ``before_cursor_execute`` listener that attributes each statement to the code that asked
for it: the innermost frame of the ``app`` package (SQLAlchemy's own frames and ``app.extensions`` are
not callers). A statement attributed to ``app.web`` (except the readiness probe ``app.web.health``)
is a query written in a view; one whose stack reaches a Jinja template before any ``app`` frame is a
lazy load started by a template. Both fail: reads belong to services, stats, alerts and reports.

The connections page is also checked for N+1: its query count does not grow with its cards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app import PROJECT_ROOT
from app.extensions import db
from app.models.base import utcnow
from tests.support import history
from tests.web.routes import rules

TEMPLATES = str(Path(PROJECT_ROOT) / "templates")
ALLOWED_WEB = ("app.web.health",)  # /readyz runs ``SELECT 1`` by design: it checks the database answers


def caller(frame: Any) -> str:
    """Who asked for the statement: the innermost ``app`` module, or ``template:<path>`` when a Jinja
    template frame comes first (a lazy load from a template), or ``?`` when neither is on the stack."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(TEMPLATES):
            return "template:" + filename[len(TEMPLATES) + 1 :]
        name = frame.f_globals.get("__name__") or ""
        if name.startswith("app.") and name != "app.extensions":
            return name
        frame = frame.f_back
    return "?"


@contextmanager
def statements() -> Iterator[list[tuple[str, str]]]:
    """Collect ``(caller, statement)`` for every statement run inside the block."""
    seen: list[tuple[str, str]] = []

    def spy(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((caller(sys._getframe(1)), statement))

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)


def _violation(who: str) -> bool:
    if who.startswith("template:"):
        return True
    return (who == "app.web" or who.startswith("app.web.")) and not who.startswith(ALLOWED_WEB)


@pytest.fixture
def tenant(factory) -> dict[str, Any]:
    from app.models import Alert, Goal, Report
    from app.models.sync import SyncRun
    from app.reports import build, service

    factory.admin(email="admin@example.com")
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="client@example.com", program_start=date.today() - timedelta(days=40))
    d = factory.deliverable(c)
    conn = history.connection(c, "instagram", last_sync_at=utcnow())
    history.connection(c, "tiktok")
    today = utcnow().date()
    history.daily(conn, today - timedelta(days=40), [1000 + 10 * i for i in range(41)])
    item = history.post(conn, datetime.now(UTC) - timedelta(days=3), likes=50, views=900, hashtags=["tip"])
    db.session.add(Goal(client_id=c.id, platform="instagram", metric="followers", target=5000, target_date=today))
    db.session.add(
        SyncRun(connection_id=conn.id, trigger="daily", status="failed", error_class="RateLimited", details={})
    )
    report = Report(
        kind="weekly",
        client_id=c.id,
        period_start=today - timedelta(days=7),
        period_end=today,
        status="done",
        progress=100,
        payload=None,
    )
    db.session.add(report)
    alert = Alert(
        client_id=c.id,
        connection_id=conn.id,
        platform="instagram",
        type="MILESTONE",
        severity="info",
        title="1K",
        message="1K followers",
        details={"threshold": 1000},
        day=today,
        dedup_key="MILESTONE:thin",
    )
    db.session.add(alert)
    db.session.commit()
    report.payload = build.weekly(c, today - timedelta(days=1))
    db.session.commit()
    link, _token = service.issue_link(report, "client@example.com", None)
    db.session.commit()
    return {
        "client_id": c.id,
        "deliverable_id": d.id,
        "connection_id": conn.id,
        "content_id": item.id,
        "report_id": report.id,
        "link_id": link.id,
        "alert_id": alert.id,
        "platform": "instagram",
        "kind": "denied",
    }


def _fill(rule: str, values: dict[str, Any]) -> str:
    import re

    return re.sub(r"<([^>]+)>", lambda m: str(values.get(m.group(1).split(":")[-1], "x")), rule)


def test_caller_attribution_names_views_templates_and_services(app, factory):
    """The spy can tell a view's query from a service's and a template's (so the walk below can fail)."""
    from flask import render_template_string

    from app.models import User
    from app.services import clients

    factory.coach(email="coach@example.com")
    with statements() as seen:
        db.session.execute(db.select(User)).all()  # run from this test module: no app frame
        clients.coaches()
    assert [who for who, _ in seen] == ["?", "app.services.clients"]
    db.session.expunge_all()
    user = db.session.execute(db.select(User)).scalar_one()
    db.session.expire(user)
    with statements() as seen, app.test_request_context():
        render_template_string("{{ user.email }}", user=user)  # an expired row: the template loads it
    assert seen
    assert all(who == "app.web.htmx" or who.startswith("template:") or who == "?" for who, _ in seen)


@pytest.mark.parametrize("role", ["admin", "coach", "client"])
def test_get_routes_run_no_sql_in_views_or_templates(app, client, tenant, role):
    client.login(f"{role}@example.com")
    bad: list[str] = []
    broken: list[str] = []
    walked = 0
    with statements() as seen:
        for endpoint, rule, methods in rules(app):
            if "GET" not in methods:
                continue
            url = _fill(rule, tenant)
            for headers in ({}, {"HX-Request": "true"}):
                del seen[:]
                resp = client.get(url, headers=headers)
                status = resp.status_code
                resp.close()  # a streamed answer (an export) holds its request context until closed
                walked += 1
                bad += [f"{endpoint} {url} {headers}: {who}: {sql[:90]}" for who, sql in seen if _violation(who)]
                if status >= 500:  # e.g. an HTMX block that cannot see its template's macros
                    broken.append(f"{endpoint} {url} {headers}: {status}")
    assert walked > 40
    assert not bad, "SQL run by views or templates:\n" + "\n".join(bad)
    assert not broken, "GET answered with a server error:\n" + "\n".join(broken)


def test_connections_page_queries_do_not_grow_with_cards(app, client, factory):
    """The sync state of every card comes from one batched query, not one query per card."""
    from app.models.sync import SyncRun

    c = factory.client(email="client@example.com")
    client.login("client@example.com")

    def count() -> int:
        with statements() as seen:
            assert client.get("/portal/settings/connections").status_code == 200
        return len(seen)

    first = history.connection(c, "instagram", last_sync_at=utcnow())
    db.session.add(SyncRun(connection_id=first.id, trigger="daily", status="succeeded", details={}))
    db.session.commit()
    one = count()
    for platform in ("tiktok", "youtube"):
        conn = history.connection(c, platform, last_sync_at=utcnow())
        db.session.add(SyncRun(connection_id=conn.id, trigger="daily", status="failed", details={}))
    db.session.commit()
    assert count() == one
