"""Platform budgets filled by real syncs against the sandbox (its quota unit counts and usage headers),
the warning raised at the threshold, and a quota-deferred sync explained on the client's card."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Connection, OpsAlert, OutboxEmail
from app.models.platforms import CONNECTABLE, PLATFORM_NAMES
from app.queueing import dispatch
from app.sync.quotas import next_pacific_midnight, pacific_day
from tests.sync.conftest import drain, runs

PACIFIC = ZoneInfo("America/Los_Angeles")


def _sandbox_units(world: Any) -> int:
    """What the sandbox charged today on YouTube's shared Data API bucket (its truth, not ours)."""
    q = world.quota()
    return sum(u["used"] for u in q["usage"] if u["bucket"] == "default" and u["pacific_date"] == q["pacific_today"])


def _limit(payload: dict[str, Any], platform: str, name: str) -> dict[str, Any]:
    [p] = [p for p in payload["platforms"] if p["platform"] == platform]
    [limit] = [x for x in p["limits"] if x["name"] == name]
    return limit


def _as_admin(client: Any, factory: Any) -> None:
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")


def test_budgets_are_filled_by_real_syncs(app: Any, client: Any, link: Any, world: Any, factory: Any) -> None:
    yt, _ = link("youtube")
    ig, ig_account = link("instagram")
    drain(app)
    _as_admin(client, factory)
    payload = client.get("/api/admin/social/budgets").json
    units = _limit(payload, "youtube", "data_api_units")
    # every unit the sandbox charged, none more: the sync's and the connect's identity lookup (1)
    assert units["spent"] == _sandbox_units(world) == runs(yt)[-1].quota_units + 1
    assert units["limit"] == 9500
    assert units["window"] == "pacific_day"
    assert units["resets_at"] == next_pacific_midnight().isoformat()
    assert units["projected"] >= units["spent"]
    [yt_history] = [p["history"] for p in payload["platforms"] if p["platform"] == "youtube"]
    assert len(yt_history) == 30
    last = runs(yt)[-1]  # the 30 days come from the sync runs
    assert yt_history[-1] == {"day": pacific_day(), "calls": last.calls, "units": last.quota_units}
    # Meta's headers: ceil(100 * calls / limit) of 4,800 Graph calls an hour per app and 48,000 a day per
    # account, as the sandbox counted them (the connect's /me lookup and the sync's calls)
    graph = [
        c
        for c in world.calls("instagram")
        if c["path"].startswith("/graph.instagram.com/v") and "access_token" not in c["path"]
    ]
    assert len(graph) == runs(ig)[-1].calls + 1
    assert _limit(payload, "instagram", "app_usage_pct")["spent"] == math.ceil(100 * len(graph) / 4800)
    assert _limit(payload, "instagram", "account_usage_pct")["spent"] == math.ceil(100 * len(graph) / 48000)
    assert _limit(payload, "instagram", "app_usage_pct")["projected"] is None
    assert _limit(payload, "youtube", "analytics_queries")["limit"] is None
    # every Analytics report the sandbox answered (the daily report, the weekly audience and per-video
    # reports), counted apart from the units: none of them cost a unit
    analytics = [c for c in world.calls("youtube") if c["path"].startswith("/youtubeanalytics.googleapis.com/")]
    assert len(analytics) >= 6  # the daily report and the 4 audience reports at least, plus the videos'
    assert _limit(payload, "youtube", "analytics_queries")["spent"] == len(analytics)
    assert all(c["quota_units"] == 0 for c in analytics)
    page = client.get("/admin/ops/budgets").get_data(as_text=True)
    assert f'data-testid="spent-data_api_units">{units["spent"]:,} units' in page
    assert f"Account {ig_account['platform_user_id']}, from X-Business-Use-Case-Usage." in page
    assert "YouTube: Data API units per day" in page  # the 30-day chart, with its table
    waiting = [PLATFORM_NAMES[p] for p in PLATFORM_NAMES if p not in CONNECTABLE]
    if waiting:
        assert f"{', '.join(waiting)}: no account can be connected in this version" in page
    assert "Post reads (billing cycle)" in page  # X has its budget
    # a budget set below what is already spent: over 100 %, and the gate refuses every further call
    app.config["SYNC_YOUTUBE_DAILY_UNITS"] = spent_below = units["spent"] - 2
    over = _limit(client.get("/api/admin/social/budgets").json, "youtube", "data_api_units")
    assert (over["spent"], over["limit"]) == (units["spent"], spent_below)
    share = 100 * units["spent"] / spent_below
    assert f"{share:.0f}% (over the 80% warning)" in client.get("/admin/ops/budgets").get_data(as_text=True)
    world.clear_calls()
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    assert runs(yt)[-1].status == "deferred"
    assert not [c for c in world.calls("youtube") if "/youtube/v3/" in c["path"]]  # no unit burnt


def test_a_warning_is_raised_at_the_threshold_and_emailed_to_admins(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    yt, _ = link("youtube")
    drain(app)
    from app.models import Connection

    # comments off: the comment step's units depend on which posts are due, this test needs equal syncs
    db.session.get(Connection, yt).sync_settings = {"sync": {"comments": False}}
    db.session.commit()
    _as_admin(client, factory)
    assert db.session.execute(select(OpsAlert)).first() is None  # a few units of 9,500
    start = _sandbox_units(world)
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    spent = _sandbox_units(world)
    cost = spent - start  # a daily sync's units (2-3, measured by the sandbox)
    assert cost > 0
    # the next sync ends below 80 %, the one after it at or above
    app.config["SYNC_YOUTUBE_DAILY_UNITS"] = limit = math.floor((spent + 2 * cost) * 1.25)
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    first = _sandbox_units(world)
    assert first == spent + cost
    assert 100 * first / limit < 80
    kinds = set(db.session.execute(select(OpsAlert.kind)).scalars())
    assert "budget_threshold" not in kinds
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    second = _sandbox_units(world)
    assert second == spent + 2 * cost
    assert 100 * second / limit >= 80
    [alert] = db.session.execute(select(OpsAlert).where(OpsAlert.kind == "budget_threshold")).scalars()
    assert alert.dedup_key == f"budget:youtube:data_api_units:{pacific_day()}:budget_threshold"
    assert alert.title == f"YouTube: Data API units (Pacific day) at {100 * second / limit:.0f}% of the limit"
    assert f"{second:,} of {limit:,} units used" in alert.message
    [email] = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.idempotency_key.startswith(f"ops:{alert.id}:"))
    ).scalars()
    assert email.to_address == "ops@example.com"
    assert email.idempotency_key == f"ops:{alert.id}:user:{email.user_id}"
    # once per window: a third sync over the threshold raises nothing new
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    assert len(db.session.execute(select(OpsAlert).where(OpsAlert.kind == "budget_threshold")).all()) == 1
    assert alert.title in client.get("/admin/ops/budgets").get_data(as_text=True)


def test_a_sync_deferred_for_quota_is_explained_on_the_clients_card(
    app: Any, client: Any, link: Any, world: Any, creator: Any
) -> None:
    creator_row = db.session.get(Client, creator.id)
    creator_row.time_zone = "Europe/Berlin"
    db.session.commit()
    yt, _ = link("youtube")
    drain(app)
    spent = _sandbox_units(world)
    app.config["SYNC_YOUTUBE_DAILY_UNITS"] = spent + 1  # room for the channels call only
    dispatch.enqueue_sync(yt, "operator")
    drain(app)
    run = runs(yt)[-1]
    assert run.status == "deferred"
    assert run.error_class == "quota_exceeded"
    assert run.deferred_until >= next_pacific_midnight()
    assert _sandbox_units(world) == spent + 1  # the call over the budget was never sent
    at = run.deferred_until.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    page = client.get("/portal/settings/connections").get_data(as_text=True)
    conn = db.session.get(Connection, yt)
    assert f'data-testid="quota-note-{conn.id}">YouTube data will refresh after {at} your time' in page
    assert datetime.now(UTC) < run.deferred_until
