"""One audience breakdown or one YouTube Analytics report failing alone (a sandbox fault on that call
only): the sync is partial, the run names what failed, and every other part of the audience is kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import AudienceSnapshot
from app.models.sync import SyncRun
from app.sync import engine
from tests.sync.test_audience_sync import IG_TRUTH


def _snapshot(conn_id: int) -> dict[str, Any]:
    db.session.expire_all()
    snap = db.session.execute(select(AudienceSnapshot).where(AudienceSnapshot.connection_id == conn_id)).scalar_one()
    return snap.payload


def _last_run(conn_id: int) -> SyncRun:
    return (
        db.session.execute(select(SyncRun).where(SyncRun.connection_id == conn_id).order_by(SyncRun.id.desc()))
        .scalars()
        .first()
    )


def test_one_instagram_breakdown_fails_alone(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("instagram", followers=10_000)
    world.patch_account(account["id"], audience=IG_TRUTH)
    # the first call with breakdown=city (the followers' cities) answers garbage; the engaged audience's
    # city call after it, and every other breakdown, answer normally
    world.add_fault("instagram", "malformed", times=1, query_contains="breakdown=city")
    run = engine.sync(conn_id, "operator")
    assert run.status == "partial"
    assert "audience: the platform refused cities" in _last_run(conn_id).details["notes"]
    payload = _snapshot(conn_id)
    assert "cities" not in payload
    assert payload["age"] == {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0}
    assert payload["countries"] == [{"code": "BR", "share": 75.0}, {"code": "US", "share": 25.0}]
    assert payload["engaged"]["cities"][0] == {"name": "Sao Paulo, Sao Paulo", "share": 80.0}
    assert payload["link_taps_by_button"] == {"CALL": 84, "EMAIL": 28}
    assert payload["online_hours"]["20"] == 1000.0


def test_one_youtube_analytics_report_fails_alone(app: Any, link: Any, world: Any) -> None:
    conn_id, account = link("youtube")
    world.patch_account(
        account["id"],
        audience={
            "traffic_sources": {"YT_SEARCH": 60, "SUBSCRIBER": 40},
            "devices": {"MOBILE": 75, "DESKTOP": 25},
            "age": {"25-34": 100},
            "gender": {"female": 60, "male": 40},
        },
    )
    world.add_fault("youtube", "malformed", times=1, query_contains="dimensions=deviceType")
    run = engine.sync(conn_id, "operator")
    assert run.status == "partial"
    assert "audience: the platform refused devices" in _last_run(conn_id).details["notes"]
    payload = _snapshot(conn_id)
    assert "devices" not in payload
    assert payload["age"] == {"25-34": 100.0}
    assert payload["gender"] == {"female": 60.0, "male": 40.0}
    assert set(payload["traffic_sources"]) == {"YT_SEARCH", "SUBSCRIBER"}
