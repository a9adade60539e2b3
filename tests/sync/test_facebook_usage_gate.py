"""A Facebook Page under the Meta usage gate it shares with Instagram: the usage headers of a real Page
sync (``X-App-Usage`` for the app, ``X-Business-Use-Case-Usage`` of ``type`` ``pages`` for the Page,
platforms.md §1.3 and §3.5) are remembered, shown on the budgets API and page, and at 95 % the next
Facebook sync is deferred by the real worker before it makes a single call."""

from __future__ import annotations

import math
from typing import Any

from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.quota_counters import META_ACCOUNT_USAGE, META_APP_USAGE
from app.sync import engine
from tests.sync.conftest import drain, runs


def _graph_calls(world: Any) -> list[dict[str, Any]]:
    """The sandbox's log of Graph API calls (the token exchanges are not Graph reads and count nothing)."""
    calls = world.calls("facebook")
    return [c for c in calls if c["path"].startswith("/graph.facebook.com/v") and "oauth" not in c["path"]]


def test_a_page_syncs_usage_is_remembered_and_gates_the_next_facebook_sync(
    app: Any, link: Any, world: Any, client: Any, factory: Any
) -> None:
    conn_id, account = link("facebook")
    drain(app)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    graph = _graph_calls(world)
    # the sandbox's figures: ceil(100 * calls / limit) of 4,800 calls an hour per app and 48,000 a day per
    # Page; a first sync makes a handful of calls, so 1 % on both (0 only with no call at all)
    assert 1 <= len(graph) <= 48
    redis = get_redis()
    assert float(redis.get(META_APP_USAGE)) == math.ceil(100 * len(graph) / 4800) == 1
    page_usage = {k.decode(): float(v) for k, v in redis.hgetall(META_ACCOUNT_USAGE).items()}
    assert page_usage == {account["platform_user_id"]: 1.0}  # the Page's own BUC entry, by its id
    assert float(redis.get("meta:usage")) == 1.0  # the gate's value: the highest of the two

    # the budgets API and page show the Facebook entry, the Page named as the busiest
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")
    payload = client.get("/api/admin/social/budgets").get_json()
    [fb] = [p for p in payload["platforms"] if p["platform"] == "facebook"]
    limits = {x["name"]: x for x in fb["limits"]}
    assert (limits["app_usage_pct"]["spent"], limits["app_usage_pct"]["limit"]) == (1.0, 100)
    assert (limits["account_usage_pct"]["spent"], limits["account_usage_pct"]["limit"]) == (1.0, 100)
    assert fb["history"][-1]["calls"] == runs(conn_id)[-1].calls
    page = client.get("/admin/ops/budgets").get_data(as_text=True)
    assert f"Account {account['platform_user_id']}, from X-Business-Use-Case-Usage." in page

    # another worker (an Instagram sync, say) saw 96 %: the next Facebook sync is deferred by the real
    # worker before a single Graph call, and retried no sooner than 5 minutes
    redis.set("meta:usage", "96")
    world.clear_calls()
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    last = runs(conn_id)[-1]
    assert last.status == "deferred", (last.status, last.error_message)
    assert world.calls("facebook") == []
    result = engine.sync(conn_id, "operator")
    assert result.status == "deferred"
    assert result.retry_in is not None
    assert result.retry_in >= 300
    assert world.calls("facebook") == []

    # under the 95 % gate the sync goes on, and its fresh answers bring the remembered usage back to 1 %
    redis.set("meta:usage", "94")
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert _graph_calls(world)
    assert float(redis.get("meta:usage")) == 1.0
