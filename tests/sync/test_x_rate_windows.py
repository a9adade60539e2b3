"""X's per-15-minute limits pre-checked (docs/sync.md): the window X reported spent on an endpoint for this
user defers the sync to its reset instead of calling into it; other endpoints and other users go on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.extensions import db
from app.models import Connection
from app.redis_conn import get_redis
from app.sync.quotas import x_endpoint, x_window_key
from tests.sync.conftest import drain, runs
from tests.sync.test_x_sync import _sync


def _limits(world: Any, **limits: int) -> dict[str, int]:
    resp = world.http.put(f"{world.base_url}/_sandbox/x/limits", json=limits, timeout=10)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["limits"])


def test_endpoint_names() -> None:
    assert x_endpoint("https://api.x.com/2/users/me?user.fields=x") == "users/me"
    assert x_endpoint("http://127.0.0.1:5055/api.x.com/2/users/1234567/tweets?max_results=100") == "users/:id/tweets"
    assert x_endpoint("https://api.x.com/2/tweets?ids=1,2") == "tweets"


def test_a_spent_timeline_window_defers_the_sync_to_its_reset(app: Any, link: Any, world: Any) -> None:
    assert _limits(world, **{"users/tweets": 1}) == {"users/me": 75, "users/tweets": 1, "tweets": 5000}
    conn_id, _account = link("x", post_every_days=3, history_days=30)
    drain(app)  # the initial sync: one timeline page, X answers remaining 0
    first = runs(conn_id)[-1]
    assert first.status in ("succeeded", "partial")
    sandbox_now = datetime.fromisoformat(world._call("GET", "clock")["now"].replace("Z", "+00:00"))
    reset = int(sandbox_now.timestamp()) + 900  # the window opened at the sandbox's (frozen) now
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    stored = get_redis().hgetall(x_window_key(f"c{conn_id}", "https://api.x.com/2/users/1/tweets"))
    assert {k.decode(): v.decode() for k, v in stored.items()} == {"remaining": "0", "reset": str(reset)}

    world.clear_calls()
    run = _sync(app, conn_id, "operator")
    assert run.status == "deferred"
    assert run.error_class == "quota_exceeded"
    paths = [c["path"] for c in world.calls("x")]
    assert any(p.endswith("/2/users/me") for p in paths)  # its own window is fine
    assert not any(p.endswith("/tweets") for p in paths)  # the spent one is not called
    assert run.deferred_until is not None
    until = run.deferred_until.replace(tzinfo=UTC) if run.deferred_until.tzinfo is None else run.deferred_until
    resets = datetime.fromtimestamp(reset, UTC)
    assert resets <= until <= resets + timedelta(seconds=15)  # the reset plus seconds of jitter
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.status == "connected"
    assert conn.last_error == (
        f"X's 15-minute limit for users/:id/tweets is used up; the sync resumes after {resets:%H:%M} UTC."
    )


def test_users_me_is_checked_too_and_only_a_window_x_reported_holds_back(app: Any, link: Any, world: Any) -> None:
    _limits(world, **{"users/me": 1})
    conn_id, _ = link("x")
    drain(app)
    world.clear_calls()
    run = _sync(app, conn_id, "operator")
    assert run.status == "deferred"
    assert not any(c["path"].endswith("/2/users/me") for c in world.calls("x"))
    # without the window X reported (forgotten), the call is made and X itself answers 429
    get_redis().delete(x_window_key(f"c{conn_id}", "https://api.x.com/2/users/me"))
    world.clear_calls()
    assert _sync(app, conn_id, "operator").status == "deferred"
    assert any(c["path"].endswith("/2/users/me") for c in world.calls("x"))
