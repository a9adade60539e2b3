"""YouTube's daily channel analytics as stored by a real sync: engaged views, average view percentage,
shares and comments beside views, each day exactly what YouTube Analytics answers for that day."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import AccountInsight, Connection
from app.services import tokens
from app.sync import engine

#: stored name -> the Analytics metric it is read from
STORED = {
    "views": "views",
    "engaged_views": "engagedViews",
    "avg_view_pct": "averageViewPercentage",
    "shares": "shares",
    "comments": "comments",
}


def test_daily_engaged_views_view_percentage_shares_and_comments_are_stored(app: Any, link: Any, world: Any) -> None:
    conn_id, _ = link("youtube")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    db.session.expire_all()
    days: dict[Any, dict[str, float]] = {}
    rows = select(AccountInsight).where(
        AccountInsight.connection_id == conn_id, AccountInsight.metric.in_(list(STORED))
    )
    for r in db.session.execute(rows).scalars():
        days.setdefault(r.day, {})[r.metric] = r.value
    assert days
    assert all(set(d) == set(STORED) for d in days.values())  # every metric on every day read
    # engaged views are the stricter count: never more than views
    assert all(d["engaged_views"] <= d["views"] for d in days.values())
    # the newest stored day, asked of YouTube Analytics directly with the sync's token
    newest = max(days)
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    answer = requests.get(
        world.url("youtubeanalytics.googleapis.com/v2/reports"),
        params={
            "ids": "channel==MINE",
            "startDate": newest.isoformat(),
            "endDate": newest.isoformat(),
            "dimensions": "day",
            "metrics": ",".join(STORED.values()),
        },
        headers={"Authorization": f"Bearer {tokens.token_set_of(conn).access_token}"},
        timeout=10,
    ).json()
    [row] = answer["rows"]
    assert row[0] == newest.isoformat()
    assert days[newest]["views"] > 0
    assert days[newest]["avg_view_pct"] > 0
    assert {name: days[newest][name] for name in STORED} == {
        name: float(value) for name, value in zip(STORED, row[1:], strict=True)
    }
