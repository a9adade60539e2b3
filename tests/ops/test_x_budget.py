"""X's row of the operations budgets page (`/admin/ops/budgets`, `GET /api/admin/social/budgets`), filled
by real syncs against the sandbox: the billing cycle's post reads as X itself counted them, the limit,
the share, the projection and the reset; the 30 days from the sync runs; what the page says happens
near a limit, X's 15-minute windows included; a sync held back by a spent 15-minute window spends no
post read; and a budget set below the spend shows over the warning (the deferral it causes:
tests/sync/test_x_sync.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest

from app.models.base import utcnow
from app.platforms.x import cycle_start, next_cycle_start
from app.queueing import dispatch
from app.sync.budgets import project
from tests.sync.conftest import drain, runs


def _as_admin(client: Any, factory: Any) -> None:
    factory.admin(email="ops@example.com", name="Olive Ops")
    client.logout()
    client.login("ops@example.com")


def _x(client: Any) -> dict[str, Any]:
    [x] = [p for p in client.get("/api/admin/social/budgets").json["platforms"] if p["platform"] == "x"]
    return dict(x)


def _x_section(client: Any) -> str:
    page = client.get("/admin/ops/budgets").get_data(as_text=True)
    found = re.search(r'<section[^>]*data-testid="budget-x">(.*?)</section>', page, re.S)
    assert found, "no X section on the budgets page"
    return unescape(found.group(1))


def test_the_x_row_shows_the_cycles_post_reads_and_the_15_minute_windows(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, _ = link("x", post_every_days=1, history_days=60)
    drain(app)  # the initial sync: 60 posts read in one timeline page
    initial = runs(conn_id)[-1]
    assert initial.status == "succeeded", initial.error_message
    _as_admin(client, factory)
    x = _x(client)
    [limit] = x["limits"]
    now = utcnow()
    reads = world.x_usage()["post_reads"]  # what X counted this cycle: the truth
    assert reads == initial.quota_units == 60
    assert (limit["name"], limit["spent"], limit["limit"]) == ("monthly_post_reads", reads, 3_000_000)
    assert limit["window"] == "month"
    assert limit["resets_at"] == next_cycle_start(now, 1).isoformat()
    # linear from the cycle's start (the 1st, X_CAP_RESET_DAY) to its reset at the pace so far
    assert limit["projected"] == pytest.approx(
        project(reads, cycle_start(now, 1), next_cycle_start(now, 1), now), rel=1e-3
    )
    assert x["history"][-1] == {"day": now.date().isoformat(), "calls": initial.calls, "units": reads}
    assert len(x["history"]) == 30
    section = _x_section(client)
    row = re.search(r'<tr data-testid="limit-x-monthly_post_reads">(.*?)</tr>', section, re.S)
    assert row, section
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "|", row.group(1)))
    assert "Post reads (billing cycle)" in cells
    assert f"|{reads:,} posts|" in cells
    assert "|3,000,000|" in cells
    assert f"|{100 * reads / 3_000_000:.0f}%|" in cells
    assert f"|{limit['projected']:,.0f} (" in cells
    assert "SYNC_X_MONTHLY_POST_READS" in cells
    assert f"|{next_cycle_start(now, 1):%b %-d, %Y, %H:%M} UTC|" in cells  # the reset, in the admin's zone (UTC)
    # what happens near a limit: the cap's reservation and X's own 15-minute windows
    assert "reserves 100 post reads before it is sent" in section
    assert "X's own 15-minute windows answer 429 with x-rate-limit-reset; the sync waits until then." in section

    # X's 15-minute window of the timeline is spent (one call in it, the initial sync's): X answers the
    # next sync's timeline call 429 with x-rate-limit-reset, the sync waits until then, and the post
    # reads it had reserved for the call are given back (X counted none)
    app.config["SYNC_RETRY_BUDGET"] = 5  # this folder's default of 0 retries fails a 429 at once
    resp = world.http.put(f"{world.base_url}/_sandbox/x/limits", json={"users/tweets": 1}, timeout=10)
    assert resp.status_code == 200, resp.text
    world.clear_calls()
    dispatch.enqueue_sync(conn_id, "operator")
    drain(app)
    held = runs(conn_id)[-1]
    assert held.status == "deferred", (held.status, held.error_message)
    [timeline] = [c for c in world.calls("x") if c["path"].endswith("/tweets") and "/users/" in c["path"]]
    assert timeline["status"] == 429, timeline
    # the window opened at the initial sync's call, at the sandbox's (frozen) now: it resets 15 minutes on;
    # the retry waits for it plus a jitter of up to a tenth of the wait (app/sync/backoff.py)
    reset = datetime.fromisoformat(world.clock()["now"].replace("Z", "+00:00")) + timedelta(minutes=15)
    until = held.deferred_until.replace(tzinfo=UTC)
    assert reset - timedelta(seconds=1) <= until <= reset + timedelta(seconds=91)
    assert _x(client)["limits"][0]["spent"] == world.x_usage()["post_reads"] == reads

    # a budget below what is spent: over 100 % on the page, and the next sync is deferred without a read
    app.config["SYNC_X_MONTHLY_POST_READS"] = reads // 2
    [over] = _x(client)["limits"]
    assert (over["spent"], over["limit"]) == (reads, reads // 2)
    assert "200% (over the 80% warning)" in _x_section(client)
