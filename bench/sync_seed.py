"""The seed's sync loop, for ``bench/sync.py``'s side-by-side comparison (issue 21).

What the first specification asked for, taken literally: one process syncing every connection one
after another (no worker pool, no overlapped calls inside a sync), YouTube uploads found with
``search.list`` (``forMine=true&type=video&order=date``, 50 a page, until the window) instead of the
uploads playlist. Everything else is today's engine (same plan, same writes, same CPU cuts), so the
ratios measure the plan and the parallelism, not older code.

``search.list`` has its own bucket at YouTube: 100 calls a day (docs/platforms.md; 100 units a call under
the older single quota). The sandbox the bench starts lifts that bucket, so the run completes and the
calls can be counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from app.platforms.base import PageGuard
from app.platforms.youtube import BATCH, DATA_API, YouTubeAdapter, aware_utc


def search_upload_ids(
    self: YouTubeAdapter,
    access_token: str,
    profile: Any,
    since: datetime | None,
    max_items: int | None = None,
    expected_new: int | None = None,
) -> list[str]:
    """The channel's videos newest first through ``search.list`` down to ``since`` (the seed's way)."""
    guard = PageGuard(self.name)
    ids: list[str] = []
    params: dict[str, Any] = {"part": "id,snippet", "forMine": "true", "type": "video", "order": "date"}
    params["maxResults"] = BATCH
    while True:
        body = self._get(f"{DATA_API}/search", access_token, params)
        older = False
        for raw in body.get("items") or []:
            video = (raw.get("id") or {}).get("videoId")
            published = (raw.get("snippet") or {}).get("publishedAt")
            if since is not None and published and aware_utc(published, self.name, "publishedAt") < since:
                older = True
                continue
            if video:
                ids.append(str(video))
        if older or (max_items is not None and len(ids) >= max_items):
            break
        token = body.get("nextPageToken")
        if not guard.next_allowed(token if isinstance(token, str) else None):
            break
        params = {**params, "pageToken": token}
    ids = list(dict.fromkeys(ids))
    return ids[:max_items] if max_items is not None else ids


@contextmanager
def seed_plan() -> Iterator[None]:
    """YouTube through ``search.list`` and no overlapped calls, for the ``with`` block (this process)."""
    from app.sync import aside

    saved = YouTubeAdapter.upload_ids
    YouTubeAdapter.upload_ids = search_upload_ids  # type: ignore[method-assign,assignment]
    aside.OVERLAP = False
    try:
        yield
    finally:
        YouTubeAdapter.upload_ids = saved  # type: ignore[method-assign]
        aside.OVERLAP = True


def run_seed_loop(ids: Sequence[int], trigger: str = "operator") -> tuple[float, float]:
    """Sync ``ids`` one after another in this process (needs an app context); (wall s, CPU s)."""
    from app.sync import engine

    with seed_plan():
        cpu0, t0 = time.process_time(), time.monotonic()
        for cid in ids:
            engine.sync(cid, trigger)
        return time.monotonic() - t0, time.process_time() - cpu0
