"""YouTube Analytics per video: watch time, average view duration and percentage, a retention curve;
the channel's Shorts vs long-form split; estimated revenue when the monetary scope was granted.

Each read is its own Analytics call (no Data API units) and fails alone: a report the API calls
unsupported or a metric it no longer knows (dropped by :func:`report_without_unknown`, the others kept)
never empties the others. What comes back is raw; ``app/stats/video_insights.py`` computes the numbers
shown (docs/metrics.md, "Per-video analytics").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.platforms.analytics_query import report_without_unknown
from app.platforms.errors import BadResponse, PlatformError, ScopeMissing
from app.platforms.youtube import ANALYTICS_API, YouTubeAdapter

#: the videos with the most views in the window that get per-video numbers, and how many of those a curve
TOP_VIDEOS = 10
CURVES = 5
VIDEO_METRICS = ("views", "estimatedMinutesWatched", "averageViewDuration", "averageViewPercentage")
SCOPE_MONETARY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
#: creatorContentType values -> the contract's names
CONTENT_TYPES = {"SHORTS": "shorts", "VIDEO_ON_DEMAND": "long_form"}


@dataclass
class VideoRead:
    """One video's numbers over the window (raw units: minutes, seconds, percent)."""

    views: float | None = None
    minutes: float | None = None
    avg_view_duration_s: float | None = None
    avg_view_pct: float | None = None
    #: (elapsed share of the video 0-1, audienceWatchRatio) points, oldest first; [] when not read
    retention: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class ChannelExtras:
    """The per-video reads, the content-type split and revenue; ``failed`` names what was refused."""

    videos: dict[str, VideoRead] = field(default_factory=dict)
    content_types: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> views, minutes
    revenue: float | None = None
    failed: list[str] = field(default_factory=list)


def _table(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's rows as ``{column: value}`` (``rows`` is left out when there is no data)."""
    headers = [str(h.get("name")) for h in body.get("columnHeaders") or [] if isinstance(h, Mapping)]
    return [
        dict(zip(headers, row, strict=True))
        for row in body.get("rows") or []
        if isinstance(row, list) and len(row) == len(headers)
    ]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _report(adapter: YouTubeAdapter, token: str, since: date, until: date, params: Mapping[str, Any]) -> Any:
    base = {"ids": "channel==MINE", "startDate": since.isoformat(), "endDate": until.isoformat(), **params}
    return report_without_unknown(lambda p: adapter._get(ANALYTICS_API, token, p), base)


def _soft(out: ChannelExtras, name: str, exc: PlatformError) -> None:
    """A refused report is noted and skipped; anything retryable or a dead grant is raised."""
    if exc.retryable or not isinstance(exc, BadResponse):
        raise exc
    out.failed.append(name)


def youtube_extras(
    adapter: YouTubeAdapter, token: str, since: date, until: date, scopes: frozenset[str] = frozenset()
) -> ChannelExtras:
    """1 call for the top videos, up to ``CURVES`` retention calls, 1 content-type call, and 1 revenue
    call only when the connection granted ``SCOPE_MONETARY`` (without it the API answers 403)."""
    out = ChannelExtras()
    try:
        body = _report(
            adapter,
            token,
            since,
            until,
            {"dimensions": "video", "metrics": ",".join(VIDEO_METRICS), "sort": "-views", "maxResults": TOP_VIDEOS},
        )
        for cells in _table(body):
            vid = cells.get("video")
            if isinstance(vid, str) and vid:
                out.videos[vid] = VideoRead(
                    views=_num(cells.get("views")),
                    minutes=_num(cells.get("estimatedMinutesWatched")),
                    avg_view_duration_s=_num(cells.get("averageViewDuration")),
                    avg_view_pct=_num(cells.get("averageViewPercentage")),
                )
    except PlatformError as exc:
        _soft(out, "videos", exc)
    for vid in list(out.videos)[:CURVES]:
        try:
            body = _report(
                adapter,
                token,
                since,
                until,
                {"dimensions": "elapsedVideoTimeRatio", "metrics": "audienceWatchRatio", "filters": f"video=={vid}"},
            )
        except PlatformError as exc:
            _soft(out, "retention", exc)
            continue
        points = [
            (float(r["elapsedVideoTimeRatio"]), float(r["audienceWatchRatio"]))
            for r in _table(body)
            if _num(r.get("elapsedVideoTimeRatio")) is not None and _num(r.get("audienceWatchRatio")) is not None
        ]
        out.videos[vid].retention = sorted(points)
    try:
        body = _report(
            adapter,
            token,
            since,
            until,
            {"dimensions": "creatorContentType", "metrics": "views,estimatedMinutesWatched"},
        )
        for cells in _table(body):
            name = CONTENT_TYPES.get(str(cells.get("creatorContentType")))
            if name:
                out.content_types[name] = {
                    "views": _num(cells.get("views")) or 0.0,
                    "minutes": _num(cells.get("estimatedMinutesWatched")) or 0.0,
                }
    except PlatformError as exc:
        _soft(out, "content_types", exc)
    if SCOPE_MONETARY in scopes:
        try:
            rows = _table(_report(adapter, token, since, until, {"metrics": "estimatedRevenue"}))
            out.revenue = _num(rows[0].get("estimatedRevenue")) if rows else 0.0
        except ScopeMissing:
            out.failed.append("revenue")  # the scope was taken back since: no revenue, nothing else lost
        except PlatformError as exc:
            _soft(out, "revenue", exc)
    return out


def youtube_daily_revenue(adapter: YouTubeAdapter, token: str, since: date, until: date) -> dict[date, float]:
    """day -> ``estimatedRevenue`` (US dollars), 1 Analytics call; only for a connection that granted the
    monetary scope. A 403 (the scope taken back) or a refused report answers ``{}``: revenue is
    optional and never fails the sync."""
    try:
        body = _report(
            adapter, token, since, until, {"metrics": "estimatedRevenue", "dimensions": "day", "sort": "day"}
        )
    except ScopeMissing:
        return {}
    except PlatformError as exc:
        if exc.retryable or not isinstance(exc, BadResponse):
            raise
        return {}
    out: dict[date, float] = {}
    for cells in _table(body):
        value = _num(cells.get("estimatedRevenue"))
        try:
            day = date.fromisoformat(str(cells.get("day")))
        except ValueError:
            continue
        if value is not None:
            out[day] = value
    return out
