"""LinkedIn's budget: every call of the connect and the syncs counted per UTC day, shown on the budgets
page, and a budget spent defers the sync to 00:00 UTC without a call."""

from __future__ import annotations

from typing import Any

from app.platforms.linkedin import next_utc_midnight
from app.queueing import dispatch
from tests.sync.conftest import drain, runs


def test_linkedin_calls_are_counted_shown_and_capped(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, _ = link("linkedin")
    drain(app)
    sandbox_calls = [c for c in world.calls("linkedin") if c["path"].startswith("/api.linkedin.com/")]
    assert len(sandbox_calls) == runs(conn_id)[-1].calls + 2  # the connect's userinfo + follower count
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")
    payload = client.get("/api/admin/social/budgets").json
    [li] = [p for p in payload["platforms"] if p["platform"] == "linkedin"]
    [limit] = li["limits"]
    assert limit["name"] == "calls_per_day"
    assert limit["window"] == "utc_day"
    assert limit["resets_at"] == next_utc_midnight().isoformat()
    # the token calls are not API calls: what the gate counts is what LinkedIn's daily limits count
    assert limit["spent"] == len(sandbox_calls)
    assert limit["limit"] == 90_000
    assert "LinkedIn" in client.get("/admin/ops/budgets").get_data(as_text=True)
    app.config["SYNC_LINKEDIN_DAILY_CALLS"] = limit["spent"]
    world.clear_calls()
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "deferred"
    assert run.error_class == "quota_exceeded"
    assert run.deferred_until >= next_utc_midnight()
    assert not [c for c in world.calls("linkedin") if c["path"].startswith("/api.linkedin.com/")]
