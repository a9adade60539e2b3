"""The audience part of the pages benchmark (issue 18): what ``bench/pages.py --audience`` adds.

Rows, generated server-side: 26 weekly audience snapshots per Instagram and YouTube connection (2,000
connections: 52,000 rows with full payloads), 120 days of daily insights (Instagram: views, reach,
follows, unfollows; YouTube: views, watch time, average view duration, subscribers gained and lost:
1.08M rows), 3 stories a day for 90 days per Instagram connection (270,000 rows) and per-video
Analytics with a 100-point retention curve for 10 videos of each channel (10,000 rows). The cases are
the three platform pages of one client (warm and cold chart cache), a YouTube post page with its
retention curve and the overview's watch-time metric.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

WEEKS, INSIGHT_DAYS, STORY_DAYS, VIDEOS = 26, 120, 90, 10

_COUNTRIES = ["US", "GB", "DE", "FR", "BR", "IN", "CA", "AU", "ES", "IT"]
_CITIES = ["London, England", "New York, New York", "Berlin, Berlin", "Paris, Ile-de-France", "Toronto, Ontario"]


def _payload(platform: str) -> str:
    """A full payload as a SQL JSON template; ``{w}`` is replaced in SQL by the week number."""
    base: dict[str, Any] = {
        "age": {"13-17": 2.0, "18-24": 27.0, "25-34": 41.0, "35-44": 18.0, "45-54": 8.0, "55-64": 3.0, "65+": 1.0},
        "gender": {"female": 58.0, "male": 40.0, "other": 2.0},
        "countries": [{"code": c, "share": 10.0} for c in _COUNTRIES],
    }
    if platform == "instagram":
        base["cities"] = [{"name": c, "share": 20.0} for c in _CITIES]
        base["online_hours"] = {str(h): float(40 + 30 * (17 <= h <= 22)) for h in range(24)}
    else:
        base["traffic_sources"] = {"YT_SEARCH": 40.0, "SUBSCRIBER": 30.0, "RELATED_VIDEO": 20.0, "SHORTS": 10.0}
        base["devices"] = {"MOBILE": 70.0, "DESKTOP": 25.0, "TV": 5.0}
        base["content_types"] = {"shorts": 55.0, "long_form": 45.0}
        base["content_types_watch"] = {"shorts": 20.0, "long_form": 80.0}
    return json.dumps(base).replace('"18-24": 27.0', '"18-24": __W__')


def _sql() -> dict[str, str]:
    curve = json.dumps([[i / 100, round(0.45 * (1.5 - i / 100), 4)] for i in range(1, 101)])
    snapshots = " UNION ALL ".join(
        f"""SELECT cn.id, current_date - 7 * w,
                   replace(:{p}_payload, '__W__', (27 - w % 5)::text)::json, 10000, now()
            FROM connections cn, generate_series(0, {WEEKS - 1}) w WHERE cn.platform = '{p}'"""
        for p in ("instagram", "youtube")
    )
    return {
        "audience_snapshots": f"""
            INSERT INTO audience_snapshots (connection_id, taken_on, payload, base, synced_at) {snapshots}""",
        "account_insights": f"""
            INSERT INTO account_insights (connection_id, day, metric, value, provenance)
            SELECT cn.id, current_date - d, m.name, m.scale * (1 + (cn.id * d) % 17), 'measured'
            FROM connections cn, generate_series(1, {INSIGHT_DAYS}) d,
                 (VALUES ('instagram', 'views', 300.0), ('instagram', 'reach', 200.0),
                         ('instagram', 'follows', 3.0), ('instagram', 'unfollows', 1.0),
                         ('youtube', 'views', 250.0), ('youtube', 'watch_time', 9000.0),
                         ('youtube', 'avg_view_duration', 30.0), ('youtube', 'followers_gained', 4.0),
                         ('youtube', 'followers_lost', 1.0)) m(platform, name, scale)
            WHERE cn.platform = m.platform""",
        "story_items": f"""
            INSERT INTO story_items (connection_id, platform_id, media_type, published_at, expires_at, views, reach,
                                     replies, taps_forward, taps_back, exits, metrics_updated_at, first_seen_at)
            SELECT cn.id, 'story-' || cn.id || '-' || d || '-' || k, 'IMAGE',
                   now() - d * interval '1 day' - k * interval '5 hours',
                   now() - d * interval '1 day' - k * interval '5 hours' + interval '24 hours',
                   200 + (cn.id + d) % 300, 150, 2, 90, 10, 20, now(), now()
            FROM connections cn, generate_series(0, {STORY_DAYS - 1}) d, generate_series(0, 2) k
            WHERE cn.platform = 'instagram'""",
        "video_analytics": f"""
            INSERT INTO video_analytics (content_item_id, window_start, window_end, views, watch_time_seconds,
                                         avg_view_duration_s, avg_view_pct, retention, synced_at)
            SELECT ci.id, current_date - 30, current_date - 3, ci.views, ci.views * 90.0, 90, 45.0,
                   '{curve}'::json, now()
            FROM (SELECT ci.id, ci.views, row_number() OVER (PARTITION BY ci.connection_id
                                                              ORDER BY ci.published_at DESC) AS n
                  FROM content_items ci JOIN connections cn ON cn.id = ci.connection_id
                  WHERE cn.platform = 'youtube') ci
            WHERE ci.n <= {VIDEOS}""",
    }


def generate(app: Any) -> dict[str, float]:
    """Insert the audience rows; returns seconds per table."""
    from app.extensions import db

    steps: dict[str, float] = {}
    params = {"instagram_payload": _payload("instagram"), "youtube_payload": _payload("youtube")}
    with app.app_context():
        for name, stmt in _sql().items():
            t = time.perf_counter()
            db.session.execute(text(stmt), params)
            db.session.commit()
            steps[name] = time.perf_counter() - t
        db.session.execute(text("ANALYZE audience_snapshots, account_insights, story_items, video_analytics"))
        db.session.commit()
        counts = {
            t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
            for t in ("audience_snapshots", "account_insights", "story_items", "video_analytics")
        }
    print("audience rows:", counts)
    return steps


def cases(
    app: Any, client_c: Any, email: str, flush: Callable[[], None]
) -> list[tuple[str, Callable[[], Any], Callable[[], None] | None]]:
    """The audience cases for the logged-in ``client_c`` (``email``)."""
    from app.extensions import db

    with app.app_context():
        video_id = db.session.execute(
            text(
                """SELECT va.content_item_id FROM video_analytics va
                   JOIN content_items ci ON ci.id = va.content_item_id
                   JOIN connections cn ON cn.id = ci.connection_id
                   JOIN clients c ON c.id = cn.client_id JOIN users u ON u.id = c.user_id
                   WHERE u.email = :email LIMIT 1"""
            ),
            {"email": email},
        ).scalar_one()
    return [
        ("audience: instagram page 30d", lambda: client_c.get("/portal/analytics/instagram?range=30d"), None),
        (
            "audience: instagram page 30d, cold chart cache",
            lambda: client_c.get("/portal/analytics/instagram?range=30d"),
            flush,
        ),
        ("audience: youtube page 30d", lambda: client_c.get("/portal/analytics/youtube?range=30d"), None),
        (
            "audience: youtube page 30d, cold chart cache",
            lambda: client_c.get("/portal/analytics/youtube?range=30d"),
            flush,
        ),
        ("audience: tiktok page 30d (reason)", lambda: client_c.get("/portal/analytics/tiktok?range=30d"), None),
        (
            "audience: youtube post page with retention",
            lambda: client_c.get(f"/portal/analytics/content/{video_id}"),
            None,
        ),
        (
            "audience: overview 90d, watch time metric, cold chart cache",
            lambda: client_c.get("/portal/analytics?range=90d&metric=watch_time"),
            flush,
        ),
    ]


def section_timings(app: Any, email: str, runs: int) -> None:
    """The audience section alone (``audience_reads.panel`` and the insights chart, warm chart cache) per
    platform page, beside the whole page's figure: what the section adds to a page."""
    import statistics

    from app.charts import page_charts
    from app.extensions import db
    from app.models import Client, User
    from app.stats import audience_reads, query
    from app.stats.overview import client_overview

    print("\n| audience section of | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    with app.test_request_context():
        client = db.session.execute(
            db.select(Client).join(User, User.id == Client.user_id).where(User.email == email)
        ).scalar_one()
        for platform in ("instagram", "youtube", "tiktok"):
            q = query.parse({"range": "30d", "platform": platform}, tz=client.time_zone)
            ov = client_overview(client, q)
            times = []
            for _ in range(runs + 1):
                t = time.perf_counter()
                panel = audience_reads.panel(client.id, platform, ov.period, client.time_zone)
                page_charts.client_insights(ov, panel["insight_days"], platform)
                times.append((time.perf_counter() - t) * 1000)
                db.session.rollback()
            times = sorted(times[1:])
            p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
            print(f"| {platform} page | {statistics.median(times):.1f} | {p95:.1f} | {max(times):.1f} |")
