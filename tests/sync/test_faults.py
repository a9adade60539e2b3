"""Each sandbox fault kind on each platform, through a real worker: the right outcome, and in the end
exactly one day and one row per post (nothing duplicated, nothing lost)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.extensions import db
from app.models import Connection
from app.models.base import utcnow
from app.platforms.linkedin import next_utc_midnight
from app.platforms.x import next_cycle_start
from app.queueing import dispatch
from app.sync.quotas import next_pacific_midnight
from tests.sync.conftest import counts, drain, run_scheduled, runs

PROFILE_PATH = {
    "instagram": "/me",
    "tiktok": "/user/info/",
    "youtube": "/youtube/v3/channels",
    "x": "/2/users/me",
    "facebook": "/me",
    "linkedin": "/memberFollowersCount",
}
PLATFORMS = ["instagram", "tiktok", "youtube", "x", "facebook", "linkedin"]


def _baseline(app: Any, link: Any, platform: str) -> tuple[int, dict[str, int]]:
    conn_id, _ = link(platform)
    dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    return conn_id, counts(conn_id)


def _fault_then_sync(app: Any, world: Any, conn_id: int, platform: str, kind: str, **extra: Any) -> Any:
    world.add_fault(platform, kind, times=1, path_contains=PROFILE_PATH[platform], **extra)
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    return runs(conn_id)[-1]


def _eventually_synced(app: Any, conn_id: int, before: dict[str, int]) -> None:
    assert run_scheduled(app) == 1  # exactly one follow-up job was scheduled
    drain(app)
    last = runs(conn_id)[-1]
    assert last.status in ("succeeded", "partial"), (last.status, last.error_message)
    after = counts(conn_id)
    assert after["snapshots"] == 1
    assert after["items"] == before["items"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limited_is_deferred_after_the_hint_then_synced(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "rate_limited", retry_after=120)
    assert run.status == "deferred"
    assert run.error_class == "rate_limited"
    if platform not in ("instagram", "linkedin"):  # Meta and LinkedIn send no Retry-After; backoff applies
        # X's hint is an epoch second (truncated): a loaded machine may take a second or two to read it
        assert run.details["retry_in_seconds"] >= (117 if platform == "x" else 120)
    _eventually_synced(app, conn_id, before)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_error_is_retried_with_backoff(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "server_error")
    assert run.status == "failed"
    assert run.error_class == "unavailable"
    assert run.deferred_until is not None
    assert db.session.get(Connection, conn_id).status == "connected"
    _eventually_synced(app, conn_id, before)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_timeout_is_retried(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "timeout", seconds=8)  # over the 6 s read timeout
    assert run.status == "failed"
    assert run.error_class == "unavailable"
    _eventually_synced(app, conn_id, before)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_expired_token_is_refreshed_and_the_sync_retried_once(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "token_expired")
    assert run.status in ("succeeded", "partial"), (run.status, run.error_message)
    assert counts(conn_id)["snapshots"] == 1
    assert counts(conn_id)["items"] == before["items"]
    assert run_scheduled(app) == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_revoked_marks_the_connection_and_stops(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, account = link(platform)
    dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    before = counts(conn_id)
    # One "revoked" answer: Meta says so outright (code 190/458 on Instagram and Facebook); TikTok and Google
    # answer 401 just as for an expired token, so the engine refreshes, the platform confirms the grant, the
    # sync goes on.
    run = _fault_then_sync(app, world, conn_id, platform, "token_revoked")
    if platform in ("instagram", "facebook", "linkedin"):  # LinkedIn: 401 65601 REVOKED_ACCESS_TOKEN says so outright
        assert run.status == "failed"
        assert db.session.get(Connection, conn_id).status == "revoked"
    else:
        assert run.status in ("succeeded", "partial")
        # the user really removed the app: the refresh fails too -> revoked, tokens gone, no retry
        world.revoke(account["id"])
        dispatch.enqueue_sync(conn_id, "operator")
        drain(app)
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert "Reconnect" in (conn.last_error or "")
    assert run_scheduled(app) == 0
    assert counts(conn_id)["items"] == before["items"]  # history kept


@pytest.mark.parametrize("platform", PLATFORMS)
def test_quota_exceeded_defers_without_burning(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "quota_exceeded")
    assert run.status == "deferred"
    if platform == "youtube":
        assert run.error_class == "quota_exceeded"
        assert run.deferred_until >= next_pacific_midnight() - timedelta(seconds=5)
    elif platform == "x":  # X's usage cap is monthly: deferred to the billing cycle's reset, and said so
        assert run.error_class == "quota_exceeded"
        assert run.deferred_until >= next_cycle_start(utcnow(), 1) - timedelta(seconds=5)
        assert "monthly read limit" in (db.session.get(Connection, conn_id).last_error or "")
    elif platform == "linkedin":  # a 429 naming a DAY limit: deferred to 00:00 UTC
        assert run.error_class == "quota_exceeded"
        assert run.deferred_until >= next_utc_midnight() - timedelta(seconds=5)
    else:  # Meta's 80002 and TikTok's rate_limit_exceeded are throttles, not daily quotas
        assert run.deferred_until > run.finished_at + timedelta(seconds=0.5)  # never an immediate retry (>= 1 s)
    _eventually_synced(app, conn_id, before)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_malformed_answer_fails_once_without_writing(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, before = _baseline(app, link, platform)
    run = _fault_then_sync(app, world, conn_id, platform, "malformed")
    assert run.status == "failed"
    assert run.error_class in ("bad_response", "unavailable")
    assert counts(conn_id)["items"] == before["items"]
    assert counts(conn_id)["snapshots"] == 1
    assert db.session.get(Connection, conn_id).status == "connected"
