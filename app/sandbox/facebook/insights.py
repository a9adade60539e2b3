"""Page and post insights (platforms.md §3.4), from the world's daily truth.

A Page's followers by country (``page_follows_country``, working on v25, platforms-deep-data.md §2.4) and
by city (``page_follows_city``, **unconfirmed**: sandbox setting ``FB_PAGE_FOLLOWS_CITY``, off = answered
as a removed metric) are ``period=lifetime`` metrics drawn from the Page's audience truth
(``sandbox/audience.py``, settable through the control API): one point whose value is an object of
follower counts by ISO-2 country code (by city name), the largest 45, empty ``data`` under
``FB_DEMOGRAPHICS_MIN_FOLLOWERS`` (platforms.md §3.4 and §8: "historically 100", unconfirmed today).

Metrics Meta removed (2024-03-14, 2025-11-15, 2026-06-15) answer with the code-100 error Meta gives on
every version, which does not name the metric; unknown names get the same answer. Day D is the point
whose ``end_time`` is ``D+1T07:00:00+0000``; only finished days are served; ``since``..``until`` may span
at most 90 days.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import request

from ..common import state
from ..instagram.shared import GraphError
from ..util import iso_meta
from ..world import Account, Post

PAGE_METRICS = (
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_follows",
    "page_daily_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_views_total",
    "page_follows_country",
    "page_follows_city",
)
#: the Page's followers by place: ``period=lifetime`` only, never mixed with the daily metrics
LIFETIME_METRICS = ("page_follows_country", "page_follows_city")
#: how many places a lifetime answer holds (the old ``page_fans_country`` gave 45; unconfirmed today)
TOP_PLACES = 45
POST_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_clicks_by_type",
    "post_reactions_by_type_total",
    "post_video_views",
    "post_video_avg_time_watched",
)
#: removed metrics: an invalid-metric error on all versions (platforms.md §3.4 timeline)
DEPRECATED = frozenset(
    {
        "page_fans",
        "page_fans_city",
        "page_fans_country",
        "page_fans_locale",
        "page_fans_gender_age",
        "page_follows_gender_age",
        "page_follows_locale",
        "page_fan_adds",
        "page_fan_adds_unique",
        "page_fan_removes",
        "page_fan_removes_unique",
        "page_impressions",
        "page_impressions_unique",
        "page_impressions_paid",
        "page_impressions_paid_unique",
        "page_impressions_viral",
        "page_impressions_nonviral",
        "page_engaged_users",
        "page_consumptions",
        "page_posts_impressions",
        "page_posts_impressions_unique",
        "page_video_views_unique",
        "post_impressions",
        "post_impressions_unique",
        "post_impressions_paid",
        "post_impressions_organic",
        "post_impressions_fan",
        "post_impressions_viral",
        "post_impressions_nonviral",
        "post_engaged_users",
    }
)
MAX_RANGE_DAYS = 90
DAY_END = timedelta(hours=7)
INVALID_METRIC = "(#100) The value must be a valid insights metric"


def check_metrics(raw: str | None, valid: tuple[str, ...]) -> list[str]:
    """The metric names of a ``metric`` value: comma separated, or a JSON array (Graph accepts both for
    array parameters, and facebook-business sends the array form)."""
    text = (raw or "").strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise GraphError("(#100) param metric must be an array of strings", 100) from None
        if not isinstance(parsed, list) or not all(isinstance(m, str) for m in parsed):
            raise GraphError("(#100) param metric must be an array of strings", 100)
        text = ",".join(parsed)
    metrics = [m.strip() for m in text.split(",") if m.strip()]
    if not metrics:
        raise GraphError("(#100) No metric was specified", 3001, 1504028)
    for m in metrics:
        if m in DEPRECATED or m not in valid:
            raise GraphError(INVALID_METRIC, 100)
    return metrics


def _moment(raw: str | None, what: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    text = raw.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise GraphError(f"(#100) The parameter {what} is not a valid time", 100) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _page_value(acc: Account, metric: str, d: date, breakdown: str | None) -> Any:
    gained, lost = acc.gained_lost(d)
    if metric == "page_media_view":
        views = acc.daily("views", d)
        if breakdown == "is_from_ads":
            return {"is_from_ads": 0, "is_not_from_ads": views}
        return views
    if metric == "page_total_media_view_unique":
        return acc.daily("reach", d)
    if metric == "page_post_engagements":
        return acc.daily("likes", d) + acc.daily("comments", d) + acc.daily("shares", d)
    if metric == "page_follows":
        return acc.followers_on(d)
    if metric in ("page_daily_follows", "page_daily_follows_unique"):
        return gained
    if metric == "page_daily_unfollows_unique":
        return lost
    return acc.daily("profile_visits", d)  # page_views_total


def _places(acc: Account, metric: str) -> dict[str, int]:
    """Followers by country code or city name today: the truth's shares of the Page's followers."""
    truth = acc.audience()
    rows = truth.get("countries", []) if metric == "page_follows_country" else truth.get("cities", [])
    name = "code" if metric == "page_follows_country" else "name"
    followers = acc.followers_on(state().today())
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[name]] = counts.get(row[name], 0) + int(followers * row["share"] / 100)
    top = sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: -kv[1])[:TOP_PLACES]
    return dict(top)


def lifetime_insights(acc: Account, metrics: list[str], period: str | None) -> dict[str, Any]:
    """``page_follows_country`` / ``page_follows_city``: one lifetime point, ``end_time`` the end of the
    last finished day; empty ``data`` for a Page under the demographics threshold."""
    st = state()
    if "page_follows_city" in metrics and not st.cfg["FB_PAGE_FOLLOWS_CITY"]:
        raise GraphError(INVALID_METRIC, 100)
    daily = [m for m in metrics if m not in LIFETIME_METRICS]
    if daily:
        raise GraphError(f"(#100) The period (lifetime) is not supported for the metric ({daily[0]})", 100)
    if period not in (None, "lifetime"):
        raise GraphError("(#100) Param period must be one of {lifetime} for these metrics", 100)
    if acc.followers_on(st.today()) < int(st.cfg["FB_DEMOGRAPHICS_MIN_FOLLOWERS"]):
        return {"data": []}
    end = datetime.combine(st.today(), time(0), UTC) + DAY_END
    page_id = acc.platform_user_id
    titles = {
        "page_follows_country": "Lifetime Page Follows by Country",
        "page_follows_city": "Lifetime Page Follows by City",
    }
    return {
        "data": [
            {
                "name": m,
                "period": "lifetime",
                "values": [{"value": _places(acc, m), "end_time": iso_meta(end)}],
                "title": titles[m],
                "description": f"Lifetime: the Page's followers by {'country' if m.endswith('country') else 'city'}",
                "id": f"{page_id}/insights/{m}/lifetime",
            }
            for m in metrics
        ]
    }


def page_insights(acc: Account) -> dict[str, Any]:
    st = state()
    args = request.args
    metrics = check_metrics(args.get("metric"), PAGE_METRICS)
    if any(m in LIFETIME_METRICS for m in metrics):
        return lifetime_insights(acc, metrics, args.get("period"))
    period = args.get("period", "day")
    if period != "day":
        raise GraphError("(#100) Param period must be one of {day} for these metrics", 100)
    last = st.today() - timedelta(days=1)
    since, until = _moment(args.get("since"), "since"), _moment(args.get("until"), "until")
    if since is None and until is None:
        first_day, last_day = last - timedelta(days=1), last
    else:
        until = until or datetime.combine(last + timedelta(days=1), time(0), UTC) + DAY_END
        since = since or until - timedelta(days=2)
        if until <= since:
            raise GraphError("(#100) The since parameter must be before the until parameter", 100)
        if until - since > timedelta(days=MAX_RANGE_DAYS):
            raise GraphError("(#100) The since and until dates must be no more than 90 days apart", 100)
        # a point (day D) is in the range when its end_time D+1 07:00 lies in (since, until]
        first_day = (since - DAY_END).date()
        if datetime.combine(first_day + timedelta(days=1), time(0), UTC) + DAY_END <= since:
            first_day += timedelta(days=1)
        last_day = min((until - DAY_END).date() - timedelta(days=1), last)
    page_id = acc.platform_user_id
    data = []
    for metric in metrics:
        values = []
        d = first_day
        while d <= last_day:
            if d >= acc.start:
                end = datetime.combine(d + timedelta(days=1), time(0), UTC) + DAY_END
                values.append({"value": _page_value(acc, metric, d, args.get("breakdown")), "end_time": iso_meta(end)})
            d += timedelta(days=1)
        data.append(
            {
                "name": metric,
                "period": "day",
                "values": values,
                "title": metric.replace("_", " ").capitalize(),
                "description": f"Daily: {metric}",
                "id": f"{page_id}/insights/{metric}/day",
            }
        )
    return {"data": data, "paging": {"previous": request.base_url, "next": request.base_url}}


def _post_value(post: Post, metric: str, now: datetime) -> Any:
    views = post.count("views", now)
    if metric == "post_media_view":
        return views
    if metric == "post_total_media_view_unique":
        return post.count("reach", now)
    if metric == "post_clicks":
        return post.count("profile_visits", now)
    if metric == "post_clicks_by_type":
        return {"other clicks": post.count("profile_visits", now), "link clicks": post.count("bio_link_clicks", now)}
    if metric == "post_reactions_by_type_total":
        likes = post.count("likes", now)
        love = likes // 5
        return {"like": likes - love, "love": love}
    if metric == "post_video_views":
        return views if post.kind == "video" else 0
    if post.kind != "video" or not views:  # post_video_avg_time_watched, in ms
        return 0
    return int(post.count("watch_ms", now) / views)


def post_insight_entries(post: Post, metrics: list[str]) -> list[dict[str, Any]]:
    now = state().now()
    return [
        {
            "name": m,
            "period": "lifetime",
            "values": [{"value": _post_value(post, m, now)}],
            "title": m.replace("_", " ").capitalize(),
            "description": f"Lifetime: {m}",
            "id": f"{post.id}/insights/{m}/lifetime",
        }
        for m in metrics
    ]


def post_insights(post: Post) -> dict[str, Any]:
    metrics = check_metrics(request.args.get("metric"), POST_METRICS)
    period = request.args.get("period", "lifetime")
    if period != "lifetime":
        raise GraphError("(#100) Param period must be one of {lifetime} for these metrics", 100)
    return {"data": post_insight_entries(post, metrics)}
