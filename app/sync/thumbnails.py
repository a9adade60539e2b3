"""Post thumbnails: after a sync, the worker fetches the thumbnails of posts that have none yet through
the guarded fetcher (``app/platforms/media.py``) and stores them (``content_thumbnails``), so the pages
serve them from our own origin (the CSP allows images from ``'self'`` only, and Meta's and TikTok's
signed URLs expire within hours anyway).

Newest posts first, at most :data:`PER_RUN` per run and within :data:`RUN_BUDGET_SECONDS`; a refused or
failed fetch is counted in the log line and tried again after the next sync (never an error of the
sync). A thumbnail is kept until its post goes (cascade); a changed URL does not fetch again (the
signed URLs change at every sync while the picture does not).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.models.history import ContentItem, ContentThumbnail
from app.platforms.media import MediaFetcher, MediaRefused, media_fetcher_from_settings
from app.sync.storage import upsert

log = logging.getLogger(__name__)

PER_RUN = 50
RUN_BUDGET_SECONDS = 90.0


@dataclass
class ThumbnailRun:
    stored: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    left: int = 0  # not tried in this run (cap or time budget)


def missing(connection_id: int, limit: int = PER_RUN) -> list[tuple[int, str]]:
    """``(content item id, thumbnail URL)`` of the newest posts with a URL and no stored thumbnail."""
    rows = db.session.execute(
        select(ContentItem.id, ContentItem.thumbnail_url)
        .outerjoin(ContentThumbnail, ContentThumbnail.content_item_id == ContentItem.id)
        .where(
            ContentItem.connection_id == connection_id,
            ContentItem.thumbnail_url.is_not(None),
            ContentThumbnail.content_item_id.is_(None),
        )
        .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
        .limit(limit)
    ).all()
    return [(int(item_id), str(url)) for item_id, url in rows if url]


def store(content_item_id: int, url: str, mime: str, content: bytes) -> None:
    """Keep one thumbnail (a second writer of the same post changes nothing)."""
    upsert(
        ContentThumbnail,
        [
            {
                "content_item_id": content_item_id,
                "mime": mime,
                "content": content,
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "source_url_hash": hashlib.sha256(url.encode()).hexdigest(),
            }
        ],
        keys=["content_item_id"],
    )


def fetch_thumbnails(
    connection_id: int, fetcher: MediaFetcher | None = None, limit: int = PER_RUN, budget: float = RUN_BUDGET_SECONDS
) -> ThumbnailRun:
    """Fetch and store the missing thumbnails of one connection's posts; never raises for a bad fetch."""
    run = ThumbnailRun()
    conn = db.session.get(Connection, connection_id)
    if conn is None:
        return run
    platform = conn.platform
    todo = missing(connection_id, limit)
    db.session.rollback()  # no transaction held open across the downloads
    if not todo:
        return run
    fetcher = fetcher or media_fetcher_from_settings(current_app.config)
    deadline = time.monotonic() + budget
    for n, (item_id, url) in enumerate(todo):
        if time.monotonic() > deadline:
            run.left = len(todo) - n
            break
        try:
            image = fetcher.fetch(platform, url)
        except MediaRefused as exc:
            run.failed += 1
            run.reasons[exc.reason] += 1
            continue
        if db.session.get(ContentItem, item_id) is None:
            db.session.rollback()
            continue  # the post went meanwhile (disconnect, deletion)
        store(item_id, url, image.mime, image.content)
        db.session.commit()
        run.stored += 1
    log.info(
        "thumbnails: %d stored, %d failed",
        run.stored,
        run.failed,
        extra={
            "event": "thumbnails_fetched",
            "connection_id": connection_id,
            "stored": run.stored,
            "failed": run.failed,
            "reasons": dict(run.reasons),
            "left": run.left,
        },
    )
    return run
