"""YouTube Analytics API v2: ``youtubeanalytics.googleapis.com/v2/reports``.

Validation in the real API's order (``ids``, dates, metrics, monetary metrics -> 403, supported dimension
sets, ``viewerPercentage`` only with the demographic dimensions, ``maxResults`` / ``startIndex`` / ``sort``)
and the report rows: totals, ``day``, ``month``, ``video``, ``country``, ``creatorContentType`` and
``ageGroup`` / ``gender``. Values are exact sums of the world's per-post counts over the requested days,
which end ``YT_ANALYTICS_LAG_DAYS`` before today (Pacific time).
"""

from __future__ import annotations

import operator
from datetime import date, timedelta
from typing import Any

from flask import Response, request

from ..common import json_response, state
from ..util import day_end, day_start
from ..world import Account, Post
from .auth import ANALYTICS_SCOPES, DATA_SCOPES, YTA_MONEY, authenticate, charge
from .errors import GoogleError, bp

DAY = timedelta(days=1)


METRIC_TYPES = {
    "views": "INTEGER",
    "engagedViews": "INTEGER",
    "estimatedMinutesWatched": "INTEGER",
    "averageViewDuration": "INTEGER",
    "averageViewPercentage": "FLOAT",
    "likes": "INTEGER",
    "dislikes": "INTEGER",
    "comments": "INTEGER",
    "shares": "INTEGER",
    "subscribersGained": "INTEGER",
    "subscribersLost": "INTEGER",
    "videosAddedToPlaylists": "INTEGER",
    "videosRemovedFromPlaylists": "INTEGER",
    "viewerPercentage": "FLOAT",
    "audienceWatchRatio": "FLOAT",
    "relativeRetentionPerformance": "FLOAT",
    "estimatedRevenue": "FLOAT",
    "estimatedAdRevenue": "FLOAT",
    "grossRevenue": "FLOAT",
    "cpm": "FLOAT",
    "playbackBasedCpm": "FLOAT",
    "estimatedRedPartnerRevenue": "FLOAT",
    "adImpressions": "INTEGER",
    "monetizedPlaybacks": "INTEGER",
}
#: the retention report: ``dimensions=elapsedVideoTimeRatio`` with these metrics only, one video filtered
RETENTION_METRICS = ("audienceWatchRatio", "relativeRetentionPerformance")
#: dollars per 1,000 views the sandbox pays a channel with the monetary scope (estimatedRevenue)
SANDBOX_RPM = 2.5
MONETARY = (
    "estimatedRevenue",
    "estimatedAdRevenue",
    "grossRevenue",
    "estimatedRedPartnerRevenue",
    "cpm",
    "playbackBasedCpm",
    "adImpressions",
    "monetizedPlaybacks",
)
DIMENSION_SETS = {
    (),
    ("day",),
    ("month",),
    ("video",),
    ("country",),
    ("ageGroup",),
    ("gender",),
    ("ageGroup", "gender"),
    ("gender", "ageGroup"),
    ("creatorContentType",),
    ("day", "creatorContentType"),
    ("insightTrafficSourceType",),
    ("day", "insightTrafficSourceType"),
    ("insightTrafficSourceDetail",),
    ("deviceType",),
    ("day", "deviceType"),
    ("operatingSystem",),
    ("elapsedVideoTimeRatio",),
}
#: dimensions that split views by the audience truth; they take view metrics only
SPLIT_DIMENSIONS = ("insightTrafficSourceType", "insightTrafficSourceDetail", "deviceType", "operatingSystem")
SPLIT_METRICS = ("views", "engagedViews", "estimatedMinutesWatched")
SEARCH_TERMS = ("how to start", "beginner guide", "day in my life", "tips and tricks", "honest review")
AGE_GROUPS = ("age13-17", "age18-24", "age25-34", "age35-44", "age45-54", "age55-64", "age65-")
COUNTRY_CODES = ("US", "GB", "IN", "DE", "BR", "CA", "FR", "AU", "MX", "JP")


def _analytics_error(message: str, status: int = 400, reason: str = "badRequest") -> GoogleError:
    return GoogleError(
        status, message, reason, status_text="INVALID_ARGUMENT" if status == 400 else "PERMISSION_DENIED"
    )


def _sums(acc: Account, posts: list[Post], days: list[date], channel_share: float) -> dict[str, float]:
    """Raw sums over ``days`` for ``posts`` (exact telescoping differences of the per-post counts)."""
    out = {k: 0.0 for k in ("views", "engaged_views", "minutes", "likes", "comments", "shares", "dur_views")}
    if days:
        start, end = day_start(days[0]), day_end(days[-1])
        for p in posts:
            if p.published_at >= end:
                continue
            dv = p.count("views", end) - p.count("views", start)
            out["views"] += dv
            out["engaged_views"] += p.count("engaged_views", end) - p.count("engaged_views", start)
            out["minutes"] += p.count("minutes", end) - p.count("minutes", start)
            out["likes"] += p.count("likes", end) - p.count("likes", start)
            out["comments"] += p.count("comments", end) - p.count("comments", start)
            out["shares"] += p.count("shares", end) - p.count("shares", start)
            out["dur_views"] += dv * p.duration
    gained = lost = 0
    for d in days:
        gd, ld = acc.gained_lost(d)
        gained += gd
        lost += ld
    out["subscribersGained"] = round(gained * channel_share)
    out["subscribersLost"] = round(lost * channel_share)
    return out


def _money(metric: str, views: float) -> float:
    """Monetary metrics (with the monetary scope only): revenue at ``SANDBOX_RPM`` dollars per 1,000
    views, ad revenue 80 % of it, CPMs twice the RPM; counts of ads 0."""
    if metric in ("estimatedRevenue", "grossRevenue"):
        return round(views * SANDBOX_RPM / 1000, 3)
    if metric == "estimatedAdRevenue":
        return round(views * SANDBOX_RPM * 0.8 / 1000, 3)
    if metric in ("cpm", "playbackBasedCpm"):
        return round(SANDBOX_RPM * 2, 3) if views else 0.0
    return 0.0


def _metric_values(metrics: list[str], s: dict[str, float]) -> list[Any]:
    row: list[Any] = []
    for m in metrics:
        if m == "views":
            row.append(int(s["views"]))
        elif m == "engagedViews":
            row.append(int(s["engaged_views"]))
        elif m == "estimatedMinutesWatched":
            row.append(int(s["minutes"]))
        elif m == "averageViewDuration":
            row.append(int(s["minutes"] * 60 / s["views"]) if s["views"] else 0)
        elif m == "averageViewPercentage":
            row.append(round(100 * s["minutes"] * 60 / s["dur_views"], 2) if s["dur_views"] else 0.0)
        elif m in ("likes", "comments", "shares", "subscribersGained", "subscribersLost"):
            row.append(int(s[m]))
        elif m == "dislikes":
            row.append(int(s["likes"] * 0.02))
        elif m == "videosAddedToPlaylists":
            row.append(int(s["views"] * 0.002))
        elif m == "videosRemovedFromPlaylists":
            row.append(int(s["views"] * 0.0004))
        elif m in MONETARY:
            row.append(_money(m, s["views"]))
        else:
            row.append(0)
    return row


def _one_video() -> str | None:
    """The single video of a ``video==ID`` filter (the retention report takes exactly one)."""
    for clause in (request.args.get("filters") or "").split(";"):
        key, _, value = clause.partition("==")
        if key == "video" and value and "," not in value:
            return value
    return None


def retention_ratio(avg_view_pct: float, elapsed: float) -> float:
    """The sandbox's retention curve: the share of views still watching at ``elapsed`` (0-1] of the
    video, a straight line ``p * (1.5 - elapsed)`` for an average view percentage ``100 p`` (its mean
    over the 100 points is ``0.995 p``; above 1 early on a Short is a rewatch, as on YouTube)."""
    return round(avg_view_pct / 100 * (1.5 - elapsed), 4)


def _retention_rows(acc: Account, posts: list[Post], days: list[date], metrics: list[str]) -> list[list[Any]]:
    """100 rows ``[elapsedVideoTimeRatio, metric...]`` at 0.01 .. 1.0 for the filtered video (none when
    it had no views in the window)."""
    if not posts or not days or _sums(acc, posts, days, 0)["views"] <= 0:
        return []
    post = posts[0]
    rows: list[list[Any]] = []
    for i in range(1, 101):
        elapsed = i / 100
        ratio = retention_ratio(post.avg_view_pct, elapsed)
        values = {"audienceWatchRatio": ratio, "relativeRetentionPerformance": round(min(1.0, ratio / 1.2), 4)}
        rows.append([elapsed, *(values[m] for m in metrics)])
    return rows


def _parse_date(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        raise _analytics_error(f"Required parameter: {name}", reason="required")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _analytics_error(f"Invalid value '{raw}' for {name}: must be YYYY-MM-DD.") from exc


def _parse_filters(acc: Account, posts: list[Post]) -> tuple[list[Post], float]:
    raw = request.args.get("filters")
    if not raw:
        return posts, 1.0
    share = 1.0
    for clause in raw.split(";"):
        key, _, value = clause.partition("==")
        values = value.split(",")
        if key == "insightTrafficSourceType":
            continue  # read by the traffic reports themselves
        if key == "video":
            posts = [p for p in posts if p.id in values]
            share = -1.0
        elif key == "creatorContentType":
            kinds = {"SHORTS": "short", "VIDEO_ON_DEMAND": "video"}
            posts = [p for p in posts if any(kinds.get(v) == p.kind for v in values)]
            share = -1.0
        else:
            raise _analytics_error("The query is not supported.")
    return posts, share


def _share_of_views(acc: Account, posts: list[Post], all_posts: list[Post], days: list[date]) -> float:
    if not days:
        return 0.0
    start, end = day_start(days[0]), day_end(days[-1])
    part = sum(p.count("views", end) - p.count("views", start) for p in posts)
    total = sum(p.count("views", end) - p.count("views", start) for p in all_posts)
    return part / total if total else 0.0


def _source_filter() -> str | None:
    for clause in (request.args.get("filters") or "").split(";"):
        key, _, value = clause.partition("==")
        if key == "insightTrafficSourceType":
            return value
    return None


def _split_shares(acc: Account, dimension: str, source: str | None) -> list[tuple[str, float]]:
    """(value, percent of views) for a split dimension, from the account's audience truth."""
    truth = acc.audience()
    if dimension == "insightTrafficSourceType":
        pairs = list(truth.get("traffic_sources", {}).items())
        return [(k, v) for k, v in pairs if source is None or k == source]
    if dimension == "insightTrafficSourceDetail":
        if source != "YT_SEARCH":
            return []
        part = truth.get("traffic_sources", {}).get("YT_SEARCH", 0.0)
        return [(t, part * w) for t, w in zip(SEARCH_TERMS, (0.3, 0.2, 0.15, 0.1, 0.05), strict=True)]
    devices = truth.get("devices", {})
    if dimension == "deviceType":
        return list(devices.items())
    mobile, desktop, tablet = devices.get("MOBILE", 0.0), devices.get("DESKTOP", 0.0), devices.get("TABLET", 0.0)
    known = mobile + desktop + tablet + devices.get("TV", 0.0)
    return [
        ("ANDROID", mobile * 0.55 + tablet * 0.4),
        ("IOS", mobile * 0.45 + tablet * 0.6),
        ("WINDOWS", desktop * 0.7),
        ("MACINTOSH", desktop * 0.3),
        ("SMART_TV", devices.get("TV", 0.0)),
        ("OTHER", max(0.0, 100 - known)),
    ]


def _split_rows(total: dict[str, float], shares: list[tuple[str, float]], metrics: list[str]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, pct in shares:
        scaled = {k: v * pct / 100 for k, v in total.items()}
        values = _metric_values(metrics, scaled)
        if scaled["views"] >= 1:
            rows.append([key, *values])
    return rows


@bp.get("/youtubeanalytics.googleapis.com/v2/reports")
def reports() -> Response:  # noqa: C901 - validation mirrors the real API's
    st = state()
    with st.lock:
        extra = (DATA_SCOPES + ANALYTICS_SCOPES) if st.cfg["YT_ANALYTICS_REQUIRES_YOUTUBE_SCOPE"] else ()
        tok = authenticate(ANALYTICS_SCOPES, extra and DATA_SCOPES)
        charge(tok, "analytics")
        acc = st.accounts[tok.account_id]
        ids = request.args.get("ids")
        if not ids:
            raise _analytics_error("Required parameter: ids", reason="required")
        if ids not in ("channel==MINE", f"channel=={acc.platform_user_id}"):
            raise GoogleError(403, "Forbidden", "forbidden", status_text="PERMISSION_DENIED")
        start, end = _parse_date("startDate"), _parse_date("endDate")
        if start > end:
            raise _analytics_error("The start date must be before or equal to the end date.")
        metrics_raw = request.args.get("metrics")
        if not metrics_raw:
            raise _analytics_error("Required parameter: metrics", reason="required")
        metrics = [m.strip() for m in metrics_raw.split(",") if m.strip()]
        for m in metrics:
            if m in MONETARY and YTA_MONEY not in tok.scopes:
                raise GoogleError(403, "Forbidden", "forbidden", status_text="PERMISSION_DENIED")
            if m not in METRIC_TYPES:
                raise _analytics_error(f"Unknown identifier ({m}) given in field parameters.metrics.")
        dims = tuple(d.strip() for d in (request.args.get("dimensions") or "").split(",") if d.strip())
        if dims not in DIMENSION_SETS:
            raise _analytics_error("The query is not supported.")
        retention = dims == ("elapsedVideoTimeRatio",)
        if retention != any(m in RETENTION_METRICS for m in metrics) or (
            retention and (any(m not in RETENTION_METRICS for m in metrics) or _one_video() is None)
        ):
            raise _analytics_error("The query is not supported.")
        demographic = any(d in ("ageGroup", "gender") for d in dims)
        if demographic != ("viewerPercentage" in metrics) or (demographic and metrics != ["viewerPercentage"]):
            raise _analytics_error("The query is not supported.")
        split = next((d for d in dims if d in SPLIT_DIMENSIONS), None)
        if split and any(m not in SPLIT_METRICS for m in metrics):
            raise _analytics_error("The query is not supported.")
        source_filter = _source_filter()
        if split == "insightTrafficSourceDetail" and (
            source_filter in (None, "SHORTS")
            or not (request.args.get("maxResults") or "").isdigit()
            or int(request.args.get("maxResults") or 0) > 25
            or (request.args.get("sort") or "") not in ("-views", "-estimatedMinutesWatched")
        ):
            raise _analytics_error("The query is not supported.")
        max_results = request.args.get("maxResults")
        start_raw = request.args.get("startIndex") or "1"
        if (max_results is not None and not max_results.isdigit()) or not start_raw.isdigit() or start_raw == "0":
            raise _analytics_error("Invalid value for maxResults or startIndex: must be a positive integer.")
        sort = request.args.get("sort")
        if dims == ("video",) and (
            not max_results or not sort or not sort.startswith("-") or int(max_results or 0) > 200
        ):
            raise _analytics_error("The query is not supported.")
        last_complete = st.pacific_today() - DAY * int(st.cfg["YT_ANALYTICS_LAG_DAYS"])
        first = max(start, acc.start)
        last = min(end, last_complete)
        days = [first + DAY * i for i in range((last - first).days + 1)] if first <= last else []
        all_posts = acc.all_posts_until(last) if days else []
        posts, share = _parse_filters(acc, all_posts)
        if share < 0:
            share = _share_of_views(acc, posts, all_posts, days)
        rows: list[list[Any]] = []
        if retention:
            rows = _retention_rows(acc, posts, days, metrics)
        elif not dims:
            if days:
                rows.append(_metric_values(metrics, _sums(acc, posts, days, share)))
        elif dims == ("day",):
            for d in days:
                day_share = share if share == 1.0 else _share_of_views(acc, posts, all_posts, [d])
                rows.append([d.isoformat(), *_metric_values(metrics, _sums(acc, posts, [d], day_share))])
        elif dims == ("month",):
            months: dict[str, list[date]] = {}
            for d in days:
                months.setdefault(d.strftime("%Y-%m"), []).append(d)
            for key, mdays in months.items():
                rows.append([key, *_metric_values(metrics, _sums(acc, posts, mdays, share))])
        elif dims == ("video",):
            for p in posts:
                vshare = _share_of_views(acc, [p], all_posts, days)
                values = _metric_values(metrics, _sums(acc, [p], days, vshare))
                s = _sums(acc, [p], days, 0)
                if s["views"] > 0:
                    rows.append([p.id, *values])
        elif dims in (("creatorContentType",), ("day", "creatorContentType")):
            groups = (("SHORTS", "short"), ("VIDEO_ON_DEMAND", "video"))
            for d_list in [[d] for d in days] if dims[0] == "day" else ([days] if days else []):
                for label, kind in groups:
                    kp = [p for p in posts if p.kind == kind]
                    if not kp:
                        continue
                    kshare = _share_of_views(acc, kp, all_posts, d_list)
                    vals = _metric_values(metrics, _sums(acc, kp, d_list, kshare))
                    rows.append(([d_list[0].isoformat()] if dims[0] == "day" else []) + [label, *vals])
        elif dims == ("country",):
            if days:
                total = _sums(acc, posts, days, share)
                countries = [(c["code"], c["share"]) for c in acc.audience().get("countries", [])]
                rows.extend(_split_rows(total, countries, metrics))
        elif split:
            for d_list in [[d] for d in days] if dims[0] == "day" else ([days] if days else []):
                total = _sums(acc, posts, d_list, share)
                prefix = [d_list[0].isoformat()] if dims[0] == "day" else []
                rows.extend(prefix + r for r in _split_rows(total, _split_shares(acc, split, source_filter), metrics))
        elif days and acc.followers_on(st.today()) >= 100:  # ageGroup / gender: none for small channels
            truth = acc.audience()
            ages = {"age" + ("65-" if k == "65+" else k): v for k, v in truth.get("age", {}).items()}
            genders = {("user_specified" if k == "other" else k): v for k, v in truth.get("gender", {}).items()}
            grouped: dict[tuple[str, ...], float] = {}
            for a, av in ages.items():
                for gnd, gv in genders.items():
                    cell = tuple({"ageGroup": a, "gender": gnd}[d] for d in dims)
                    grouped[cell] = grouped.get(cell, 0.0) + av * gv / 100
            rows = [[*k, round(v, 1)] for k, v in grouped.items()]
        if sort:
            sort_keys = [s.strip() for s in sort.split(",") if s.strip()]
            headers = list(dims) + metrics
            for sort_key in reversed(sort_keys):
                name = sort_key.lstrip("-")
                if name not in headers:
                    raise _analytics_error("The query is not supported.")
                rows.sort(key=operator.itemgetter(headers.index(name)), reverse=sort_key.startswith("-"))
        start_index = int(start_raw)
        rows = rows[start_index - 1 :]
        if max_results:
            rows = rows[: int(max_results)]
        headers_out = [
            {"name": d, "columnType": "DIMENSION", "dataType": "FLOAT" if retention else "STRING"} for d in dims
        ]
        headers_out += [{"name": m, "columnType": "METRIC", "dataType": METRIC_TYPES[m]} for m in metrics]
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers_out}
        if rows:
            body["rows"] = rows
        return json_response(body)
