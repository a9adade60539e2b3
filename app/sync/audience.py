"""The audience step of a sync and the story sync (docs/sync.md, "Audience and stories").

Demographics change slowly and cost calls: a connection's audience is read when its last snapshot is
``AUDIENCE_EVERY_DAYS`` old or more (weekly), inside the daily sync, and stored as a dated
``AudienceSnapshot``. Stories live 24 hours on Instagram, so they are read by their own job every few
hours (``app/cron.py``) and their numbers kept for good in ``story_items``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import AudienceSnapshot, Connection, ContentItem, StoryItem, VideoAnalytics
from app.models.base import utcnow
from app.platforms import get_adapter
from app.platforms.audience import (
    STORY_LIFETIME,
    RawAudience,
    StoryRead,
    instagram_audience,
    instagram_stories,
    youtube_audience,
)
from app.platforms.errors import PlatformError
from app.platforms.facebook import FacebookAdapter
from app.platforms.facebook_page_audience import page_audience as facebook_page_audience
from app.platforms.http import shared_session
from app.platforms.instagram import InstagramAdapter
from app.platforms.linkedin_org import LinkedInOrgAdapter
from app.platforms.tiktok_business import TikTokBusinessAdapter
from app.platforms.video_analytics import VideoRead, youtube_extras
from app.platforms.youtube import YouTubeAdapter
from app.redis_conn import get_redis
from app.services import connection_settings, tokens
from app.stats.audience import LIST_KEYS, audience_payload, link_taps_by_button
from app.sync import webhook_subscriptions
from app.sync.quotas import Budgets
from app.sync.recorder import RecordingSession
from app.sync.storage import upsert

AUDIENCE_EVERY_DAYS = 7
#: YouTube Analytics finishes a day 48-72 h late: the audience window ends 3 days back, 28 days long
YOUTUBE_LAG_DAYS = 3
YOUTUBE_WINDOW_DAYS = 28
STORY_COLUMNS = {
    "views": "views",
    "reach": "reach",
    "replies": "replies",
    "shares": "shares",
    "follows": "follows",
    "profile_visits": "profile_visits",
    "tap_forward": "taps_forward",
    "tap_back": "taps_back",
    "tap_exit": "exits",
}


def audience_due(connection_id: int, today: date) -> bool:
    """No audience snapshot in the last ``AUDIENCE_EVERY_DAYS`` days."""
    last = db.session.execute(
        select(AudienceSnapshot.taken_on)
        .where(AudienceSnapshot.connection_id == connection_id)
        .order_by(AudienceSnapshot.taken_on.desc())
        .limit(1)
    ).scalar_one_or_none()
    return last is None or (today - last).days >= AUDIENCE_EVERY_DAYS


def read_audience(adapter: Any, token: str, today: date, scopes: frozenset[str] = frozenset()) -> RawAudience | None:
    """The platform's audience (``None`` where the API we use gives none: TikTok's Display API, a LinkedIn
    member; a TikTok business account's comes from the API for Business, one call; a LinkedIn Company
    Page's from its lifetime follower statistics, 1 to 3 calls; a Facebook Page's followers by country
    and city, 2 calls).

    YouTube also reads the per-video numbers of the window's top videos, the Shorts / long-form split
    and (``scopes`` holding the monetary scope only) estimated revenue, over the same 28 days."""
    if isinstance(adapter, InstagramAdapter):
        return instagram_audience(adapter, token, today)
    if isinstance(adapter, TikTokBusinessAdapter):
        return adapter.audience(token, today)
    if isinstance(adapter, LinkedInOrgAdapter):
        return adapter.audience(token)  # a Company Page; a member has none (no demographics API)
    if isinstance(adapter, FacebookAdapter):
        return facebook_page_audience(adapter, token)  # followers by country and city (2 calls)
    if isinstance(adapter, YouTubeAdapter):
        until = today - timedelta(days=YOUTUBE_LAG_DAYS)
        since = until - timedelta(days=YOUTUBE_WINDOW_DAYS - 1)
        raw = youtube_audience(adapter, token, since, until)
        raw.extras = youtube_extras(adapter, token, since, until, scopes)
        raw.failed += raw.extras.failed
        for name, split in raw.extras.content_types.items():
            raw.breakdowns.setdefault("content_types", {})[name] = split["views"]
            raw.breakdowns.setdefault("content_types_watch", {})[name] = split["minutes"]
        return raw
    return None


def write_audience(connection_id: int, day: date, raw: RawAudience, followers: int | None) -> bool:
    """Store the day's snapshot (an empty answer, e.g. a small account, is stored too: it says "none")."""
    payload = audience_payload(raw.breakdowns, raw.online_hours)
    for key in raw.keep_counts:  # a Facebook Page's follower counts beside the shares (top 10 kept)
        name = LIST_KEYS[key]
        for row in payload.get(key, []):
            row["followers"] = int(raw.breakdowns[key].get(row[name], 0))
    employees = raw.breakdowns.get("employees", {}).get("EMPLOYEE")
    if payload and employees:  # a LinkedIn Page's followers who work there (a count, not a share)
        payload["employee_followers"] = int(employees)
    if engaged := audience_payload(raw.engaged, {}):
        payload["engaged"] = engaged
    if raw.link_taps:
        payload["link_taps_by_button"] = link_taps_by_button(raw.link_taps)
    if raw.extras is not None and raw.extras.revenue is not None:
        payload["estimated_revenue_usd"] = round(raw.extras.revenue, 2)
    if raw.extras is not None and raw.extras.videos:
        write_video_analytics(connection_id, day, raw.extras.videos)
    row = {
        "connection_id": connection_id,
        "taken_on": day,
        "payload": payload,
        "base": followers,
        "synced_at": utcnow(),
    }
    upsert(AudienceSnapshot, [row], ("connection_id", "taken_on"), update_cols=("payload", "base", "synced_at"))
    return bool(payload)


def write_video_analytics(connection_id: int, day: date, videos: Mapping[str, VideoRead]) -> int:
    """Replace the stored per-video numbers of the videos read (videos we do not store are skipped)."""
    ids = dict(
        db.session.execute(
            select(ContentItem.platform_id, ContentItem.id).where(
                ContentItem.connection_id == connection_id, ContentItem.platform_id.in_(list(videos))
            )
        )
        .tuples()
        .all()
    )
    until = day - timedelta(days=YOUTUBE_LAG_DAYS)
    rows = [
        {
            "content_item_id": ids[vid],
            "window_start": until - timedelta(days=YOUTUBE_WINDOW_DAYS - 1),
            "window_end": until,
            "views": v.views,
            "watch_time_seconds": v.minutes * 60 if v.minutes is not None else None,
            "avg_view_duration_s": v.avg_view_duration_s,
            "avg_view_pct": v.avg_view_pct,
            "retention": [[x, y] for x, y in v.retention],
            "synced_at": utcnow(),
        }
        for vid, v in videos.items()
        if vid in ids
    ]
    cols = ("window_start", "window_end", "views", "watch_time_seconds", "avg_view_duration_s", "avg_view_pct")
    if rows:
        upsert(VideoAnalytics, rows, ("content_item_id",), update_cols=(*cols, "retention", "synced_at"))
    return len(rows)


def write_stories(connection_id: int, reads: Sequence[StoryRead]) -> int:
    """Upsert the stories read; a read without numbers never erases numbers read before."""
    now = utcnow()
    rows = []
    for s in reads:
        row: dict[str, Any] = {
            "connection_id": connection_id,
            "platform_id": s.platform_id,
            "media_type": s.media_type,
            "published_at": s.published_at,
            "expires_at": s.published_at + STORY_LIFETIME,
            "note": s.note,
            "metrics_updated_at": now if s.metrics else None,
            "first_seen_at": now,
        }
        for key, column in STORY_COLUMNS.items():
            row[column] = s.metrics.get(key)
        rows.append(row)
    if rows:
        upsert(
            StoryItem,
            rows,
            ("connection_id", "platform_id"),
            update_cols=("note",),
            coalesce=(*STORY_COLUMNS.values(), "media_type", "metrics_updated_at"),
        )
    return len(rows)


#: ``story_insights`` webhook fields -> story columns (the legacy payload says ``impressions``)
WEBHOOK_STORY_FIELDS = {
    "impressions": "views",
    "views": "views",
    "reach": "reach",
    "replies": "replies",
    "taps_forward": "taps_forward",
    "taps_back": "taps_back",
    "exits": "exits",
}
#: Meta sends ``story_insights`` about an hour after the story expired
WEBHOOK_AFTER_EXPIRY = timedelta(hours=1)


def ingest_story_webhook(raw_body: bytes) -> int:
    """Keep the ``story_insights`` changes of a signed Instagram delivery (the caller checked the
    signature and that it is not a duplicate); returns the stories written.

    A count under 5 comes as ``-1`` and is stored as no number. A story we already keep gets the
    numbers (a missing one never erases a stored one); a story that expired before any story sync could
    see it is kept too, its publishing time estimated as 25 hours before the delivery (``note``
    ``webhook_only``). Unknown accounts and malformed changes are skipped."""
    try:
        event = json.loads(raw_body)
    except ValueError:
        return 0
    if not isinstance(event, dict) or event.get("object") != "instagram":
        return 0
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for entry in event.get("entry") or []:
        if not isinstance(entry, Mapping):
            continue
        conn_id = db.session.execute(
            select(Connection.id).where(
                Connection.platform == "instagram",
                Connection.platform_user_id == str(entry.get("id")),
                Connection.disconnected_at.is_(None),
            )
        ).scalar()
        stamp = entry.get("time")
        at = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) and stamp > 0 else now
        for change in entry.get("changes") or []:
            value = change.get("value") if isinstance(change, Mapping) else None
            if conn_id is None or change.get("field") != "story_insights" or not isinstance(value, Mapping):
                continue
            media_id = value.get("media_id")
            if not isinstance(media_id, str | int) or not str(media_id).isdigit():
                continue
            metrics = {
                column: (int(raw) if raw >= 0 else None)
                for key, column in WEBHOOK_STORY_FIELDS.items()
                if isinstance(raw := value.get(key), int) and not isinstance(raw, bool)
            }
            expires = at - WEBHOOK_AFTER_EXPIRY
            rows.append(
                {
                    "connection_id": conn_id,
                    "platform_id": str(media_id)[:128],
                    "media_type": None,
                    "published_at": expires - STORY_LIFETIME,
                    "expires_at": expires,
                    "note": "webhook_only",
                    "metrics_updated_at": now,
                    "first_seen_at": now,
                    **{c: metrics.get(c) for c in set(WEBHOOK_STORY_FIELDS.values())},
                }
            )
    if rows:
        upsert(
            StoryItem,
            rows,
            ("connection_id", "platform_id"),
            coalesce=(*set(WEBHOOK_STORY_FIELDS.values()), "metrics_updated_at"),
        )
        db.session.commit()
    return len(rows)


def sync_stories(connection_id: int) -> str:
    """Read a live Instagram connection's stories (the last 24 h) and keep them; returns the outcome.

    Runs every few hours from the cron table; a platform error leaves the stored stories as they are
    (the next run reads them again while they live)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.platform != "instagram" or not conn.is_live or conn.access_token_enc is None:
        return "skipped"
    if not connection_settings.sync_enabled(conn, "stories"):
        return "off"
    result = tokens.refresh_tokens(connection_id)
    if result.outcome in ("revoked", "expired", "insufficient_scope", "decrypt_error"):
        return "grant_dead"
    db.session.expire_all()
    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.access_token_enc is None:
        return "skipped"
    token = tokens.token_set_of(conn)
    cfg = current_app.config
    session = shared_session(
        float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"]), float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"])
    )
    recorder = RecordingSession(session, conn.platform, Budgets(get_redis(), cfg), keep_raw=False)
    adapter = get_adapter(conn.platform, cfg, session=recorder)
    db.session.commit()
    try:
        reads = instagram_stories(adapter, token.access_token) if isinstance(adapter, InstagramAdapter) else []
    except PlatformError as exc:
        return f"failed: {exc.kind}"
    write_stories(connection_id, reads)
    db.session.commit()
    conn = db.session.get(Connection, connection_id)
    if conn is not None and webhook_subscriptions.needs_subscription(conn):
        webhook_subscriptions.subscribe_story_webhooks(connection_id)  # not done at connect: try again
    return f"{len(reads)} stories"
