"""Audience shares, online hours and insight totals (docs/metrics.md, "Audience and insights").

The platforms give the audience in their own units: Instagram counts followers per age, gender, country
and city (known demographics only, top 45 values); YouTube gives ``viewerPercentage`` per age group and
gender and views per country, traffic source and device. :func:`audience_payload` turns either into
shares of 100 in the contract's shape (architecture.md 6.4); a LinkedIn Company Page's follower counts
per facet value (organic + paid) and a Facebook Page's followers per country and city become shares the
same way (the Facebook counts are kept beside the shares by ``app/sync/audience.write_audience``).
Daily insight rows are summed by :func:`insight_totals`; averages (view duration, view percentage) are
weighted by each day's views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

AGE_ORDER = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDER_ORDER = ("female", "male", "other")
#: LinkedIn Company Pages: followers by seniority, industry, job function and company size (a value's
#: followers are organic + paid; shares of the followers LinkedIn classified in that facet)
LINKEDIN_KEYS = ("seniority", "industries", "functions", "company_sizes")
SHARE_KEYS = ("age", "gender", "traffic_sources", "devices", "content_types", "content_types_watch", *LINKEDIN_KEYS)
#: share groups with many possible values: only the largest ``TOP_PLACES`` are kept
TOP_KEYS = ("industries", "functions")
CONTENT_TYPE_ORDER = ("shorts", "long_form")
#: LinkedIn's ``staffCountRange`` values, smallest first
COMPANY_SIZE_ORDER = (
    "SIZE_1",
    "SIZE_2_TO_10",
    "SIZE_11_TO_50",
    "SIZE_51_TO_200",
    "SIZE_201_TO_500",
    "SIZE_501_TO_1000",
    "SIZE_1001_TO_5000",
    "SIZE_5001_TO_10000",
    "SIZE_10001_OR_MORE",
)
#: the audience groups compared over time (``audience_changes``), and how many of the biggest moves are shown
CHANGE_KEYS = ("age", "gender", "countries", "content_types", *LINKEDIN_KEYS)
TOP_CHANGES = 6
LIST_KEYS = {"countries": "code", "cities": "name", "regions": "name"}
#: how many countries and cities a payload keeps (the rest are small; Instagram gives at most 45)
TOP_PLACES = 10
#: minimum followers before Instagram reports demographics (platforms-deep-data.md 1.7)
INSTAGRAM_DEMOGRAPHICS_MIN_FOLLOWERS = 100

#: stored insight name -> contract name (architecture.md 6.4), and the factor from the stored unit
INSIGHT_NAMES: dict[str, tuple[str, float]] = {
    "views": ("views", 1.0),
    "engaged_views": ("engaged_views", 1.0),
    "reach": ("reach", 1.0),
    "accounts_engaged": ("accounts_engaged", 1.0),
    "total_interactions": ("interactions", 1.0),  # Instagram account, Facebook Page post engagements
    "profile_views": ("profile_views", 1.0),
    "link_taps": ("link_taps", 1.0),
    "watch_time": ("watch_time_minutes", 1 / 60),  # stored in seconds
    "avg_view_duration": ("average_view_duration_s", 1.0),
    "avg_view_pct": ("average_view_percentage", 1.0),
    "followers_gained": ("subscribers_gained", 1.0),
    "followers_lost": ("subscribers_lost", 1.0),
    "follows": ("follows", 1.0),
    "unfollows": ("unfollows", 1.0),
    "estimated_revenue": ("estimated_revenue", 1.0),  # US dollars, with the monetary scope only
    "likes": ("likes", 1.0),  # TikTok business accounts (API for Business daily metrics)
    "comments": ("comments", 1.0),
    "shares": ("shares", 1.0),
    "page_views": ("page_views", 1.0),  # LinkedIn Company Pages (organizationPageStatistics, all page views)
}
#: averages: a total is the views-weighted mean of the days, not a sum
AVERAGES = ("average_view_duration_s", "average_view_percentage")


def shares(values: Mapping[str, float]) -> dict[str, float]:
    """value -> percent of the total, one decimal (``{}`` when the total is 0 or nothing is given)."""
    total = sum(v for v in values.values() if v > 0)
    if total <= 0:
        return {}
    return {k: round(100 * v / total, 1) for k, v in values.items() if v > 0}


def _ordered(key: str, values: dict[str, float]) -> dict[str, float]:
    order = {"age": AGE_ORDER, "gender": GENDER_ORDER, "company_sizes": COMPANY_SIZE_ORDER}.get(key) or (
        CONTENT_TYPE_ORDER if key.startswith("content_types") else ()
    )
    if order:
        return {k: values[k] for k in sorted(values, key=lambda k: (order.index(k) if k in order else 99, k))}
    return dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0])))


def audience_payload(
    breakdowns: Mapping[str, Mapping[str, float]], online_hours: Mapping[str, float]
) -> dict[str, Any]:
    """The stored audience (contract keys) from a platform's raw numbers; keys without data are absent."""
    out: dict[str, Any] = {}
    for key in SHARE_KEYS:
        if key in breakdowns and (got := shares(breakdowns[key])):
            if key in TOP_KEYS:
                got = dict(sorted(got.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PLACES])
            out[key] = _ordered(key, got)
    for key, name in LIST_KEYS.items():
        if key in breakdowns and (got := shares(breakdowns[key])):
            top = sorted(got.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PLACES]
            out[key] = [{name: k, "share": v} for k, v in top]
    if online_hours and any(v > 0 for v in online_hours.values()):
        out["online_hours"] = {str(h): round(float(online_hours.get(str(h), 0.0)), 1) for h in range(24)}
    return out


#: Instagram's contact buttons (``contact_button_type``), in the order pages list a tie
CONTACT_BUTTONS = ("CALL", "EMAIL", "TEXT", "DIRECTION", "BOOK_NOW", "INSTANT_EXPERIENCE", "UNDEFINED")


def link_taps_by_button(taps: Mapping[str, float]) -> dict[str, int]:
    """Taps per contact button type (the platform's counts, whole numbers, zeros left out), most first;
    a tie in ``CONTACT_BUTTONS`` order, an unknown type after the known ones."""
    order = {k: i for i, k in enumerate(CONTACT_BUTTONS)}
    kept = {str(k): int(round(v)) for k, v in taps.items() if v > 0}
    return dict(sorted(kept.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0])))


def peak_hours(online_hours: Mapping[str, float], n: int = 3) -> list[int]:
    """The ``n`` UTC hours with the most followers online, most first (earlier hour on a tie)."""
    ranked = sorted(((float(v), int(h)) for h, v in online_hours.items()), key=lambda t: (-t[0], t[1]))
    return [h for v, h in ranked[:n] if v > 0]


@dataclass(frozen=True)
class InsightDay:
    day: date
    metrics: dict[str, float]


def insight_days(rows: Iterable[tuple[date, str, float]]) -> list[InsightDay]:
    """Stored ``(day, metric, value)`` rows -> days in contract names and units, oldest first."""
    days: dict[date, dict[str, float]] = {}
    for day, metric, value in rows:
        if metric in INSIGHT_NAMES:
            name, factor = INSIGHT_NAMES[metric]
            days.setdefault(day, {})[name] = round(value * factor, 2)
    return [InsightDay(d, m) for d, m in sorted(days.items())]


def insight_totals(days: Iterable[InsightDay]) -> dict[str, float]:
    """Sums over the days; averages weighted by each day's views (a day without views weighs nothing)."""
    sums: dict[str, float] = {}
    weighted: dict[str, float] = {}
    weights: dict[str, float] = {}
    for d in days:
        views = d.metrics.get("views", 0.0)
        for name, value in d.metrics.items():
            if name in AVERAGES:
                weighted[name] = weighted.get(name, 0.0) + value * views
                weights[name] = weights.get(name, 0.0) + views
            else:
                sums[name] = sums.get(name, 0.0) + value
    out = {k: round(v, 2) for k, v in sums.items()}
    for name in weighted:
        if weights[name] > 0:
            out[name] = round(weighted[name] / weights[name], 2)
    return out


def _flat(payload: Mapping[str, Any], key: str) -> dict[str, float]:
    value = payload.get(key)
    if isinstance(value, list):
        name = LIST_KEYS.get(key, "code")
        return {str(i.get(name)): float(i.get("share", 0.0)) for i in value if isinstance(i, Mapping)}
    return {str(k): float(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def audience_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The biggest moves between two snapshots' shares, in percentage points (``new - old``, one
    decimal): for each group of ``CHANGE_KEYS`` both snapshots have, every value in either (a value
    missing from one counts 0 there, e.g. a country that left the top 10); the ``TOP_CHANGES`` largest
    by size, a larger move first, then by group and name; moves under 0.1 points are left out."""
    rows: list[dict[str, Any]] = []
    for key in CHANGE_KEYS:
        before, after = _flat(old, key), _flat(new, key)
        if not before or not after:
            continue
        for name in sorted(set(before) | set(after)):
            delta = round(after.get(name, 0.0) - before.get(name, 0.0), 1)
            if abs(delta) >= 0.1:
                rows.append(
                    {
                        "group": key,
                        "name": name,
                        "before": before.get(name, 0.0),
                        "after": after.get(name, 0.0),
                        "delta": delta,
                    }
                )
    rows.sort(key=lambda r: (-abs(r["delta"]), CHANGE_KEYS.index(r["group"]), r["name"]))
    return rows[:TOP_CHANGES]
