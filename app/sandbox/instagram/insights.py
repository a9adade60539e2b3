"""Instagram insights: ``/<media-id>/insights`` and ``/me/insights`` (the account).

The metric catalogue (per media product type, deprecated metrics, account metrics, breakdowns, titles)
and the validation ladder in Meta's order and wording: unknown or deprecated metric, period,
``metric_type`` (``time_series`` vs ``total_value``), breakdowns, demographics' ``timeframe``, the
``since``/``until`` window (at most 30 days; a day's value carries the next day's 07:00 UTC
``end_time``). Values come from the world model: per-post counts for media, daily account sums for the
account, deterministic shares for breakdowns and demographics.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import request

from ..common import state
from ..util import day_start, iso_meta, parse_datetime, unit
from ..world import Account, Post
from .shared import PRODUCT, GraphError, page_url

MEDIA_METRICS: dict[str, tuple[str, ...]] = {
    "FEED": (
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "reposts",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "facebook_views",
    ),
    "REELS": (
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "reposts",
        "total_interactions",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "reels_skip_rate",
        "crossposted_views",
        "facebook_views",
    ),
    "STORY": (
        "views",
        "reach",
        "shares",
        "reposts",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "replies",
        "navigation",
        "facebook_views",
    ),
}
ALL_MEDIA_METRICS = tuple(dict.fromkeys(m for ms in MEDIA_METRICS.values() for m in ms))
DEPRECATED_MEDIA_METRICS = (
    "impressions",
    "plays",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "video_views",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_engagement",
    "carousel_album_saved",
    "carousel_album_video_views",
    "taps_forward",
    "taps_back",
    "exits",
    "engagement",
)
USER_METRICS = (
    "reach",
    "views",
    "follower_count",
    "online_followers",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "reposts",
    "follows_and_unfollows",
    "profile_links_taps",
    "follower_demographics",
    "engaged_audience_demographics",
)
TIME_SERIES_METRICS = ("reach", "follower_count", "online_followers")
TOTAL_VALUE_ONLY = (
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "reposts",
    "follows_and_unfollows",
    "profile_links_taps",
)
DEMOGRAPHICS = ("follower_demographics", "engaged_audience_demographics")
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "reach": ("media_product_type", "follow_type"),
    "views": ("follower_type", "media_product_type"),
    "total_interactions": ("media_product_type",),
    "likes": ("media_product_type",),
    "comments": ("media_product_type",),
    "shares": ("media_product_type",),
    "saves": ("media_product_type",),
    "follows_and_unfollows": ("follow_type",),
    "profile_links_taps": ("contact_button_type",),
    "follower_demographics": ("age", "gender", "country", "city"),
    "engaged_audience_demographics": ("age", "gender", "country", "city"),
}
TITLES = {
    "views": "Views",
    "reach": "Accounts reached",
    "likes": "Likes",
    "comments": "Comments",
    "saved": "Saved",
    "saves": "Saves",
    "shares": "Shares",
    "reposts": "Reposts",
    "total_interactions": "Interactions",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "profile_activity": "Profile activity",
    "ig_reels_avg_watch_time": "Average watch time",
    "ig_reels_video_view_total_time": "Watch time",
    "reels_skip_rate": "Skip rate",
    "follower_count": "Follower count",
    "accounts_engaged": "Accounts engaged",
    "replies": "Replies",
    "follows_and_unfollows": "Follows and unfollows",
    "follower_demographics": "Follower demographics",
    "engaged_audience_demographics": "Engaged audience demographics",
    "online_followers": "Online followers",
}


AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "CA", "AU", "ES", "IT", "MX", "NL", "SE", "JP", "PL")
CITIES = (
    "London, England",
    "New York, New York",
    "Los Angeles, California",
    "Berlin, Berlin",
    "Paris, Ile-de-France",
    "Sao Paulo, Sao Paulo",
    "Mumbai, Maharashtra",
    "Toronto, Ontario",
    "Sydney, New South Wales",
    "Madrid, Comunidad de Madrid",
    "Chicago, Illinois",
    "Manchester, England",
    "Amsterdam, North Holland",
)


DAY = timedelta(days=1)


def _metric_list(raw: str | None) -> list[str]:
    return [m.strip() for m in (raw or "").split(",") if m.strip()]


def _invalid_metric(i: int, valid: tuple[str, ...]) -> GraphError:
    return GraphError(f"(#100) metric[{i}] must be one of the following values: {', '.join(valid)}", 100)


def _media_value(post: Post, metric: str, now: datetime) -> float | int:
    if metric == "saved":
        return post.count("saves", now)
    if metric == "total_interactions":
        return sum(post.count(m, now) for m in ("likes", "comments", "saves", "shares"))
    if metric == "ig_reels_avg_watch_time":
        return int(round(post.duration * 1000 * post.avg_view_pct))
    if metric == "ig_reels_video_view_total_time":
        return post.count("watch_ms", now)
    if metric == "reels_skip_rate":
        return round(post.skip_rate * 100, 2)
    if metric == "profile_activity":
        return post.count("bio_link_clicks", now)
    return post.count(metric, now)


def media_insights(post: Post) -> dict[str, Any]:  # noqa: C901
    st = state()
    now = st.now()
    metrics = _metric_list(request.args.get("metric"))
    if not metrics:
        raise GraphError("No metric was specified", 3001, 1504028)
    for i, m in enumerate(metrics):
        if m in DEPRECATED_MEDIA_METRICS:
            raise GraphError(
                f"(#100) Starting from version v22.0 and for all versions from April 21, 2025, the "
                f"{m} metric is no longer supported. Please use the views metric instead.",
                100,
            )
        if m not in ALL_MEDIA_METRICS:
            raise _invalid_metric(i, ALL_MEDIA_METRICS)
    breakdown = request.args.get("breakdown")
    if breakdown:
        if len(metrics) > 1:
            raise GraphError("An unknown error has occurred.", 1, status=500, transient=False)
        if (metrics[0], breakdown) not in (
            ("profile_activity", "action_type"),
            ("navigation", "story_navigation_action_type"),
        ):
            raise GraphError(f"(#100) Incompatible breakdown ({breakdown}) for metric ({metrics[0]})", 100)
    _, product = PRODUCT[post.kind]
    applicable = MEDIA_METRICS[product]
    data = []
    for m in metrics:
        if m not in applicable:
            continue  # silently omitted, as observed in 2026
        if m in ("facebook_views", "crossposted_views"):
            raise GraphError(f"(#100) The {m} metric is only available for media shared to Facebook", 100)
        item: dict[str, Any] = {"name": m, "period": "lifetime"}
        value = _media_value(post, m, now)
        if m == "profile_activity" and breakdown:
            results = []
            total = int(value)
            for key, share in (
                ("BIO_LINK_CLICKED", 0.7),
                ("EMAIL", 0.12),
                ("CALL", 0.05),
                ("DIRECTION", 0.08),
                ("TEXT", 0.05),
            ):
                v = int(total * share)
                if v:
                    results.append({"dimension_values": [key], "value": v})
            item["total_value"] = {
                "value": total,
                "breakdowns": [{"dimension_keys": ["action_type"], "results": results}],
            }
        else:
            item["values"] = [{"value": value}]
        item["title"] = TITLES.get(m, m)
        item["description"] = f"The {TITLES.get(m, m).lower()} of this media object."
        item["id"] = f"{post.id}/insights/{m}/lifetime"
        data.append(item)
    return {"data": data}


def _parse_time(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lstrip("-").isdigit():
        return int(raw)
    try:
        return int(parse_datetime(raw).timestamp())
    except ValueError as exc:
        raise GraphError(f"(#100) The parameter {name} must be a unix timestamp or a strtotime() string", 100) from exc


def _end_time(d: date) -> datetime:
    return day_start(d) + DAY + timedelta(hours=7)


def _days_between(since: int, until: int, today: date) -> list[date]:
    """World days whose end_time (next day 07:00 UTC) lies in (since, until], complete days only."""
    out = []
    d = datetime.fromtimestamp(since, tz=day_start(today).tzinfo).date() - DAY * 2
    while _end_time(d).timestamp() <= until:
        if _end_time(d).timestamp() > since and d < today:
            out.append(d)
        d += DAY
    return out


def _daily_user_value(acc: Account, metric: str, d: date) -> int:
    if metric == "views":
        return acc.daily("views", d)
    if metric == "reach":
        return int(round(acc.daily("views", d) * (0.45 + 0.15 * unit(acc.seed, "reach", d))))
    if metric in ("likes", "comments", "shares", "saves", "reposts"):
        return acc.daily(metric, d)
    if metric == "total_interactions":
        return sum(acc.daily(m, d) for m in ("likes", "comments", "shares", "saves"))
    if metric == "accounts_engaged":
        return int(round(sum(acc.daily(m, d) for m in ("likes", "comments", "shares", "saves")) * 0.62))
    if metric == "follower_count":
        return acc.gained_lost(d)[0]
    if metric == "follows_and_unfollows":
        gained, lost = acc.gained_lost(d)
        return gained + lost
    if metric == "profile_links_taps":
        return sum(acc.audience().get("contact_buttons", {}).values())
    return 0


def _breakdown_results(acc: Account, metric: str, breakdown: str, days: list[date]) -> list[dict[str, Any]]:
    today = state().today()
    if breakdown in ("age", "gender", "country", "city"):
        followers = acc.followers_on(today)
        if metric == "engaged_audience_demographics":
            followers = int(followers * 0.08)
        truth = acc.audience()
        shares: list[tuple[str, float]]
        if breakdown == "age":
            shares = list(truth.get("age", {}).items())
        elif breakdown == "gender":
            names = {"female": "F", "male": "M", "other": "U"}
            shares = [(names.get(k, "U"), v) for k, v in truth.get("gender", {}).items()]
        elif breakdown == "country":
            shares = [(c["code"], c["share"]) for c in truth.get("countries", [])]
        else:
            shares = [(c["name"], c["share"]) for c in truth.get("cities", [])]
        results: list[dict[str, Any]] = [
            {"dimension_values": [k], "value": int(followers * v / 100)} for k, v in shares
        ]
        results = [r for r in results if r["value"] > 0]
        results.sort(key=lambda r: -int(r["value"]))
        return results[:45]  # the top 45 values only
    if breakdown == "media_product_type":
        feed = sum(_kind_value(acc, metric, d, ("image", "carousel")) for d in days)
        reels = sum(_kind_value(acc, metric, d, ("reel",)) for d in days)
        return [
            r
            for r in (
                {"dimension_values": ["POST"], "value": feed},
                {"dimension_values": ["REEL"], "value": reels},
            )
            if r["value"]
        ]
    if breakdown == "contact_button_type":
        buttons = acc.audience().get("contact_buttons", {})
        taps = [{"dimension_values": [k], "value": v * len(days)} for k, v in buttons.items() if v]
        return sorted(taps, key=lambda r: -int(r["value"]))
    total = sum(_daily_user_value(acc, metric, d) for d in days)
    if metric == "follows_and_unfollows":
        gained = sum(acc.gained_lost(d)[0] for d in days)
        lost = sum(acc.gained_lost(d)[1] for d in days)
        return [
            {"dimension_values": ["FOLLOWER"], "value": gained},
            {"dimension_values": ["NON_FOLLOWER"], "value": lost},
        ]
    follower_part = int(total * 0.4)
    return [
        {"dimension_values": ["FOLLOWER"], "value": follower_part},
        {"dimension_values": ["NON_FOLLOWER"], "value": total - follower_part},
    ]


def _kind_value(acc: Account, metric: str, d: date, kinds: tuple[str, ...]) -> int:
    base = {"reach": "views", "total_interactions": "likes"}.get(metric, metric)
    if metric == "total_interactions":
        return sum(acc.daily_for(m, d, kinds) for m in ("likes", "comments", "shares", "saves"))
    value = acc.daily_for(base, d, kinds)
    return int(value * 0.52) if metric == "reach" else value


def user_insights(acc: Account) -> dict[str, Any]:  # noqa: C901 - one validation ladder, as Meta applies it
    st = state()
    today = st.today()
    metrics = _metric_list(request.args.get("metric"))
    if not metrics:
        raise GraphError("No metric was specified", 3001, 1504028)
    for i, m in enumerate(metrics):
        if m not in USER_METRICS:
            raise _invalid_metric(i, USER_METRICS)
    period = request.args.get("period")
    periods = ("day", "week", "days_28", "month", "lifetime", "total_over_range")
    if period not in periods:
        raise GraphError("(#100) param period must be one of {" + ", ".join(periods) + "}", 100)
    metric_type = request.args.get("metric_type")
    if metric_type not in (None, "time_series", "total_value"):
        raise GraphError("(#100) param metric_type must be one of {time_series, total_value}", 100)
    breakdown = request.args.get("breakdown")
    demo = [m for m in metrics if m in DEMOGRAPHICS]
    if (breakdown or demo) and len(metrics) > 1:
        raise GraphError("An unknown error has occurred.", 1, status=500, transient=False)
    if breakdown and metric_type == "time_series":
        raise GraphError("(#100) breakdown is not supported with metric_type=time_series", 100)
    if breakdown and breakdown not in BREAKDOWNS.get(metrics[0], ()):
        raise GraphError(f"(#100) Incompatible breakdown ({breakdown}) for metric ({metrics[0]})", 100)
    for m in metrics:
        expected = "lifetime" if m in DEMOGRAPHICS or m == "online_followers" else "day"
        if period != expected:
            raise GraphError(f"(#100) The period ({period}) is not supported for the metric ({m})", 100)
    if demo:
        if not breakdown:
            raise GraphError(f"(#100) The breakdown parameter is required for the metric ({demo[0]})", 100)
        timeframe = request.args.get("timeframe")
        if demo[0] == "engaged_audience_demographics" and timeframe not in ("this_week", "this_month"):
            raise GraphError("(#100) timeframe must be one of {this_week, this_month}", 100)
        if timeframe not in (None, "this_week", "this_month"):
            raise GraphError("(#100) timeframe must be one of {this_week, this_month}", 100)
        metric_type = "total_value"
    wants_total = [m for m in metrics if m in TOTAL_VALUE_ONLY]
    if wants_total and metric_type != "total_value":
        raise GraphError(
            f"(#100) The following metrics ({', '.join(wants_total)}) should be specified with "
            "parameter metric_type=total_value",
            100,
        )
    ts_only = [m for m in metrics if m in ("follower_count", "online_followers")]
    if ts_only and metric_type == "total_value":
        raise GraphError(
            f"(#100) The following metrics ({', '.join(ts_only)}) should be specified with "
            "parameter metric_type=time_series",
            100,
        )
    since, until = _parse_time("since"), _parse_time("until")
    if since is not None and until is not None:
        if until <= since:
            raise GraphError("(#100) The since parameter must be earlier than until", 100)
        if until - since > 30 * 86400:
            raise GraphError("(#100) There cannot be more than 30 days (2592000 s) between since and until", 100)
        days = _days_between(since, until, today)
    else:
        days = [today - DAY * 2, today - DAY] if (metric_type or "time_series") == "time_series" else [today - DAY]
        if since is not None:
            days = [d for d in days if _end_time(d).timestamp() > since]
        if until is not None:
            days = [d for d in days if _end_time(d).timestamp() <= until]
    followers_now = acc.followers_on(today)
    uid = acc.platform_user_id
    data = []
    for m in metrics:
        if m in ("follower_count", "follows_and_unfollows", "online_followers") and followers_now < 100:
            continue
        if m == "profile_links_taps" and not acc.audience().get("contact_buttons"):
            continue  # no contact buttons configured: absent, not zero
        title = TITLES.get(m, m)
        item: dict[str, Any] = {
            "name": m,
            "period": period,
            "title": title,
            "description": f"{title} of the Instagram account.",
        }
        if m in DEMOGRAPHICS:
            if followers_now < 100:
                continue
            item["total_value"] = {
                "breakdowns": [
                    {
                        "dimension_keys": [breakdown],
                        "results": _breakdown_results(acc, m, breakdown or "", []),
                    }
                ]
            }
        elif metric_type == "total_value":
            value = sum(_daily_user_value(acc, m, d) for d in days)
            item["total_value"] = {"value": value}
            if breakdown:
                item["total_value"]["breakdowns"] = [
                    {"dimension_keys": [breakdown], "results": _breakdown_results(acc, m, breakdown, days)}
                ]
        elif m == "online_followers":
            hours = acc.audience().get("online_hours", {})
            item["values"] = [
                {
                    # the most recent days are not counted yet: ``{}``, as the real API answers
                    "value": {}
                    if d >= today - DAY * 2
                    else {str(h): int(followers_now * hours.get(str(h), 0.0) / 100) for h in range(24)},
                    "end_time": iso_meta(_end_time(d)),
                }
                for d in days
            ]
        else:
            window = [d for d in days if m != "follower_count" or d >= today - DAY * 30]
            item["values"] = [
                {"value": _daily_user_value(acc, m, d), "end_time": iso_meta(_end_time(d))} for d in window
            ]
        item["id"] = f"{uid}/insights/{m}/{period}"
        data.append(item)
    out: dict[str, Any] = {"data": data}
    if metric_type != "total_value" and since is not None and until is not None:
        span = until - since
        base = dict(request.args.items())
        out["paging"] = {
            "previous": page_url({**base, "since": str(since - span), "until": str(since)}),
            "next": page_url({**base, "since": str(until), "until": str(until + span)}),
        }
    return out
