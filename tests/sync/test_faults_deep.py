"""Faults past the first call (issue 12): a page in the middle of the initial sync's pagination, and the
insights calls of a daily sync, on each platform; once (retried, then everything) and for good (the
retries end, the history already synced stays, nothing is written twice)."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Connection
from app.queueing import dispatch
from app.sync.plans import INITIAL_MAX_ITEMS
from tests.sync.conftest import counts, drain, run_scheduled, runs

#: the paged listing of each platform's initial sync, and how many of its pages pass before the fault
PAGES = {
    "instagram": ("/me/media", 1),
    "tiktok": ("/video/list/", 2),
    "youtube": ("/youtube/v3/playlistItems", 1),
    "linkedin": ("/rest/posts", 1),  # 100 a page: about 120 posts in a year at one every 3 days
}
#: the insights calls of a daily sync (TikTok's Display API has none: its paged video list stands in)
INSIGHTS = {
    "instagram": ("/me/insights", 1),
    "tiktok": ("/video/list/", 0),
    "youtube": ("/v2/reports", 0),
    "linkedin": ("/memberFollowersCount", 1),  # the profile's q=me passes, the insights' q=dateRange fails
}


def _retry_until_settled(app: Any, limit: int = 8) -> int:
    """Run scheduled follow-ups until none is left; returns how many rounds it took."""
    for rounds in range(limit):
        if run_scheduled(app) == 0:
            return rounds
        drain(app)
    raise AssertionError("the sync kept scheduling follow-ups")


@pytest.mark.parametrize("platform", list(PAGES))
def test_a_page_failing_once_mid_pagination_is_retried_and_nothing_is_missing(
    app: Any, link: Any, world: Any, platform: str
) -> None:
    path, skip = PAGES[platform]
    world.add_fault(platform, "server_error", times=1, path_contains=path, skip=skip)
    conn_id, account = link(platform)
    drain(app)  # the initial sync: page 1 passes, the next page fails
    first = runs(conn_id)[-1]
    assert first.status == "failed"
    assert first.error_class == "unavailable"
    assert counts(conn_id)["items"] == 0  # nothing of a half-read listing was written
    assert _retry_until_settled(app) == 1
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    posts = world.account(account["id"], posts=True)["posts"]
    after = counts(conn_id)
    expected = min(len(posts), INITIAL_MAX_ITEMS)  # the initial sync reads the newest 200 posts
    assert after["items"] == expected
    assert after["snapshots"] == 1


@pytest.mark.parametrize("platform", list(INSIGHTS))
def test_insights_failing_once_in_a_daily_sync_is_retried(app: Any, link: Any, world: Any, platform: str) -> None:
    conn_id, _ = link(platform)
    drain(app)
    before = counts(conn_id)
    path, skip = INSIGHTS[platform]
    world.add_fault(platform, "server_error", times=1, path_contains=path, skip=skip)
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    assert runs(conn_id)[-1].error_class == "unavailable"
    _retry_until_settled(app)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    after = counts(conn_id)
    assert after["items"] == before["items"]
    assert after["snapshots"] == before["snapshots"] == 1


@pytest.mark.parametrize("platform", list(INSIGHTS))
def test_insights_failing_for_good_end_the_retries_and_keep_the_history(
    app: Any, link: Any, world: Any, platform: str
) -> None:
    app.config["SYNC_BREAKER_THRESHOLD"] = 1000  # this test is about the retry budget, not the breaker
    conn_id, _ = link(platform)
    drain(app)
    before = counts(conn_id)
    path, _skip = INSIGHTS[platform]
    world.add_fault(platform, "server_error", times=10_000, path_contains=path)
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    rounds = _retry_until_settled(app)
    assert rounds == int(app.config["SYNC_RETRY_BUDGET"])  # every retry of the budget, then it stops
    last = runs(conn_id)[-1]
    assert last.status == "failed"
    assert "retries used up" in (last.error_message or "")
    conn = db.session.get(Connection, conn_id)
    assert conn.status == "connected"
    assert conn.last_error
    after = counts(conn_id)
    assert after.pop("runs") == before.pop("runs") + rounds + 1  # each attempt is on the sync log
    assert after == before  # the history synced before is all there, nothing added twice
