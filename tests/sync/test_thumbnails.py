"""Thumbnails end to end: a sync queues the thumbnail job, a real worker fetches from the sandbox's media
hosts over HTTP through the guarded fetcher; a refused fetch stores nothing and leaves the sync alone."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models.history import ContentItem, ContentThumbnail
from app.queueing import dispatch
from app.sync import thumbnails
from tests.sync.conftest import counts, drain, runs


def stored(conn_id: int) -> list[ContentThumbnail]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(ContentThumbnail).join(ContentItem).where(ContentItem.connection_id == conn_id)
        ).scalars()
    )


def with_url(conn_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(ContentItem)
            .where(ContentItem.connection_id == conn_id, ContentItem.thumbnail_url.is_not(None))
        ).scalar_one()
    )


@pytest.mark.parametrize("platform", ["instagram", "tiktok", "youtube", "facebook"])
def test_a_sync_then_the_thumbnail_job_stores_the_posts_thumbnails(
    app: Any, client: Any, link: Any, world: Any, platform: str
) -> None:
    conn_id, _account = link(platform)
    assert dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    assert with_url(conn_id) > 0
    rows = stored(conn_id)
    # each finished sync queued one job of up to PER_RUN (connecting queued one sync already)
    assert len(rows) >= min(thumbnails.PER_RUN, with_url(conn_id))
    expected = len(rows)
    for row in rows:
        assert row.mime == "image/png"
        assert row.content.startswith(b"\x89PNG")
        assert row.size == len(row.content)
        assert row.sha256 == hashlib.sha256(row.content).hexdigest()
    # the newest posts first
    newest = db.session.execute(
        select(ContentItem.id)
        .where(ContentItem.connection_id == conn_id, ContentItem.thumbnail_url.is_not(None))
        .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
        .limit(expected)
    ).scalars()
    assert {r.content_item_id for r in rows} == set(newest)
    # the platform page shows them from our origin, lazily, with alt text; each URL answers the bytes
    page = client.get(f"/portal/analytics/{platform}?range=90d").get_data(as_text=True)
    shown = [r for r in rows if f'src="/portal/thumbs/{r.content_item_id}"' in page]
    assert shown, "no stored thumbnail on the platform page"
    assert 'loading="lazy"' in page
    assert ' alt="' in page
    first = client.get(f"/portal/thumbs/{shown[0].content_item_id}")
    assert first.status_code == 200
    assert first.data == shown[0].content
    assert first.headers["Content-Type"] == "image/png"
    assert "img-src 'self' data:" in first.headers["Content-Security-Policy"]
    # a second run fetches only what is still missing
    again = thumbnails.fetch_thumbnails(conn_id)
    assert again.stored == min(thumbnails.PER_RUN, with_url(conn_id) - expected)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("huge", {}),
        ("redirect", {}),  # to 169.254.169.254
        ("redirect", {"location": "http://127.0.0.1:9/private.png"}),
        ("redirect", {"location": "https://evil.example.com/x.png"}),
        ("html", {}),
        ("bad_magic", {}),
    ],
)
def test_refused_fetches_store_nothing_and_leave_the_sync_alone(
    app: Any, link: Any, world: Any, caplog: Any, kind: str, options: dict[str, Any]
) -> None:
    conn_id, _account = link("youtube")
    world.add_media_fault(kind, times=-1, **options)
    caplog.set_level(logging.INFO, logger="app.sync.thumbnails")
    assert dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    assert runs(conn_id)[-1].status in ("succeeded", "partial")
    assert counts(conn_id)["items"] > 0
    assert stored(conn_id) == []
    logged = [r for r in caplog.records if getattr(r, "event", None) == "thumbnails_fetched"]
    assert logged
    assert logged[-1].stored == 0
    assert logged[-1].failed == min(thumbnails.PER_RUN, with_url(conn_id))


def test_a_slow_media_host_times_out_and_stores_nothing(app: Any, link: Any, world: Any) -> None:
    conn_id, _account = link("youtube")
    assert dispatch.enqueue_sync(conn_id, "initial")
    drain(app)
    db.session.execute(delete(ContentThumbnail))
    db.session.commit()
    app.config["THUMBNAIL_TIMEOUT_SECONDS"] = 0.5
    world.add_media_fault("slow", times=2, seconds=2)
    run = thumbnails.fetch_thumbnails(conn_id, limit=2)
    assert (run.stored, run.failed, dict(run.reasons)) == (0, 2, {"timeout": 2})
    assert stored(conn_id) == []
    assert thumbnails.fetch_thumbnails(conn_id, limit=2).stored == 2  # the host is quick again
