"""A1: every rule that takes an object id, walked as another tenant, answers 404/403 and leaks nothing.

The walk covers every rule of the app with an ``<int:...>`` argument. A rule whose argument has no
sample id below fails the test, so a new id-taking route cannot be added without being covered.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import history
from tests.web.routes import rules

SECRET = "Victoria Secretname"


@pytest.fixture
def tenant_a(factory) -> dict[str, Any]:
    coach = factory.coach(email="coach-a@example.com")
    victim = factory.client(coach=coach, name=SECRET)
    deliverable = factory.deliverable(victim)
    conn = history.connection(victim, "instagram", username="victoria_private")
    item = history.post(conn, datetime(2026, 10, 1, tzinfo=UTC), caption=f"{SECRET} caption")
    from app.extensions import db
    from app.models import Report
    from app.reports import service

    report = Report(
        kind="weekly",
        client_id=victim.id,
        period_start=datetime(2026, 9, 1).date(),
        period_end=datetime(2026, 9, 7).date(),
        status="done",
        progress=100,
        payload={"kind": "weekly", "client": {"name": SECRET}},
    )
    db.session.add(report)
    db.session.commit()
    link, _token = service.issue_link(report, "victim@example.com", None)
    db.session.commit()
    from app.models import Alert

    alert = Alert(
        client_id=victim.id,
        connection_id=conn.id,
        platform="instagram",
        type="MILESTONE",
        severity="info",
        title=f"{SECRET} reached 1K",
        message=SECRET,
        details={"threshold": 1000},
        day=datetime(2026, 10, 1).date(),
        dedup_key="MILESTONE:walk",
    )
    db.session.add(alert)
    from app.models import Comment

    comment = Comment(
        connection_id=conn.id,
        client_id=victim.id,
        content_item_id=item.id,
        platform="instagram",
        platform_id="17870000000000001",
        post_platform_id=item.platform_id,
        text=f"{SECRET} comment",
        published_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    db.session.add(comment)
    db.session.commit()
    return {
        "comment_id": comment.id,
        "client_id": victim.id,
        "deliverable_id": deliverable.id,
        "connection_id": conn.id,
        "content_id": item.id,
        "report_id": report.id,
        "link_id": link.id,
        "alert_id": alert.id,
        "user_id": victim.user_id,  # admins only: another tenant's coach or client gets 403
    }


def _id_rules(app) -> list[tuple[str, str, list[str], list[str]]]:
    out = []
    for endpoint, rule, methods in rules(app):
        names = re.findall(r"<int:(\w+)>", rule)
        if names:
            out.append((endpoint, rule, methods, names))
    return out


def _fill(rule: str, ids: dict[str, Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        conv = match.group(1)
        name = conv.split(":")[-1]
        if conv.startswith("int:"):
            return str(ids[name])
        return "instagram" if name == "platform" else "x"

    return re.sub(r"<([^>]+)>", sub, rule)


@pytest.mark.parametrize("intruder", ["client", "coach"])
def test_every_id_rule_hides_other_tenants(app, client, factory, tenant_a, intruder):
    if intruder == "client":
        factory.client(coach=factory.coach(), email="intruder@example.com")
    else:
        factory.coach(email="intruder@example.com")
    client.login("intruder@example.com")
    id_rules = _id_rules(app)
    missing = {name for _, _, _, names in id_rules for name in names} - set(tenant_a)
    assert not missing, f"routes take ids the IDOR walk has no sample for: {missing}; add them to tenant_a"
    checked = 0
    for endpoint, rule, methods, _names in id_rules:
        url = _fill(rule, tenant_a)
        for method in methods:
            for headers in ({}, {"HX-Request": "true"}):
                resp = client.open(url, method=method, headers=headers)
                body = resp.get_data(as_text=True)
                if resp.status_code == 302:  # staff visiting the client-only portal are sent to the CRM
                    assert intruder == "coach", (url, resp)
                    assert resp.headers["Location"].startswith("/admin"), (url, resp)
                else:
                    assert resp.status_code in (403, 404), (intruder, method, url, headers, resp.status_code)
                assert SECRET not in body, (method, url)
                assert "victoria_private" not in body, (method, url)
                checked += 1
    assert checked >= 20
