"""The words of a report: its rating, its one line of advice, three headline numbers for the cover and
three sentences (what grew, what changed, what to do next), all computed from the report's numbers by
the rules below and nothing else. docs/reports.md ("Summary") states the same rules in prose; the
tests in ``tests/reports/test_summary.py`` check them with hand-computed cases.

The numbers in the sentences are formatted for the report's locale (``formatting``), so a summary is
computed once, when the payload is built, and stored with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from app.reports import formatting as fmt
from app.stats.engagement import LOW_ENGAGEMENT_PCT

# ---------------------------------------------------------------- the weekly rating

#: weekly growth of the total (%) at or above which a week earns each rating
EXCELLENT_GROWTH = 2.0
GOOD_GROWTH = 0.5
STEADY_GROWTH = 0.0
RATINGS = ("Needs attention", "Steady", "Good", "Excellent")
NOT_ENOUGH = "Not enough data"
#: an engagement change of at least this many points (either way) counts as a change worth saying
ENGAGEMENT_SHIFT = 0.5
#: posts a week the advice asks for when there were none
MIN_POSTS = 3


def growth_level(growth: float) -> int:
    """0..3: Needs attention (< 0 %), Steady (>= 0 %), Good (>= 0.5 %), Excellent (>= 2 %)."""
    if growth >= EXCELLENT_GROWTH:
        return 3
    if growth >= GOOD_GROWTH:
        return 2
    if growth >= STEADY_GROWTH:
        return 1
    return 0


def low_engagement(engagement: float | None) -> bool:
    """The mean post engagement rate is under the low-engagement line (``LOW_ENGAGEMENT_PCT``)."""
    return engagement is not None and engagement < LOW_ENGAGEMENT_PCT


def weekly_growth(growth: float, days: int = 7) -> float:
    """The growth (%) of a period of ``days`` days as the compound growth of an average week in it, so a
    month is rated on the same weekly bands as a week (a +31 % month is +6.3 % a week, not +31 %)."""
    if days == 7 or growth <= -100:
        return growth
    return ((1 + growth / 100) ** (7 / days) - 1) * 100


def rating(growth: float | None, engagement: float | None, has_data: bool, days: int = 7) -> str:
    """The period's rating: from the total's weekly growth rate (a longer period's average week,
    ``weekly_growth``), one step down (never below the lowest) when the mean post engagement rate is
    under the low-engagement line; "Not enough data" without a total for the period."""
    if not has_data or growth is None:
        return NOT_ENOUGH
    level = growth_level(weekly_growth(growth, days))
    if low_engagement(engagement):
        level = max(0, level - 1)
    return RATINGS[level]


def _span(days: int) -> str:
    return "week" if days == 7 else "month"


def rating_reason(growth: float | None, engagement: float | None, has_data: bool, locale: str, days: int = 7) -> str:
    """Why the period got its rating, in words (the rule made visible on the report)."""
    shown = rating(growth, engagement, has_data, days)
    span = _span(days)
    if shown == NOT_ENOUGH or growth is None:
        return f"Not enough data: there is no follower total for the {span} yet."
    weekly = weekly_growth(growth, days)
    level = growth_level(weekly)
    a_week = "" if days == 7 else " a week"
    bands = {
        3: f"{fmt.percent(EXCELLENT_GROWTH, locale, digits=0)} or more",
        2: f"{fmt.percent(GOOD_GROWTH, locale)} to {fmt.percent(EXCELLENT_GROWTH, locale, digits=0)}",
        1: f"0% to {fmt.percent(GOOD_GROWTH, locale)}",
        0: "below 0%",
    }
    changed = f"Followers changed {fmt.percent(growth, locale, sign=True)} this {span}"
    if days != 7:
        changed += f", {fmt.percent(weekly, locale, sign=True)} a week on average"
    text = f"{changed} ({RATINGS[level]}: {bands[level]}{a_week})"
    if low_engagement(engagement) and level > 0:
        text += (
            f", one step down to {shown} because engagement ({fmt.percent(engagement, locale)}) is under "
            f"the {fmt.percent(LOW_ENGAGEMENT_PCT, locale)} low-engagement line"
        )
    return text + "."


# ---------------------------------------------------------------- advice


def advice(
    *,
    has_connections: bool,
    has_data: bool,
    posts: int,
    net: int | None,
    engagement_change: float | None,
    slot: Mapping[str, Any] | None,
    locale: str = fmt.DEFAULT_LOCALE,
    days: int = 7,
) -> str:
    """One line of advice, the first rule that applies: no connections, no data, no posts, followers
    lost, engagement down by ``ENGAGEMENT_SHIFT`` points or more, a best slot known, else keep going.
    ``days``: the period's length (7, or a month's), for its words and the posts a week."""
    span = _span(days)
    if not has_connections:
        return "Connect an account in the portal to get weekly numbers."
    if not has_data:
        return f"Your accounts have no data for this {span} yet; numbers appear after the next sync."
    if posts == 0:
        nxt = "next week" if days == 7 else "a week"
        return f"You did not post this {span}: aim for at least {MIN_POSTS} posts {nxt} to keep growing."
    if net is not None and net < 0:
        return f"You lost followers this {span}: look at what your top post did differently and do more of it."
    if engagement_change is not None and engagement_change <= -ENGAGEMENT_SHIFT:
        return (
            f"Engagement fell by {fmt.points(abs(engagement_change), locale).removeprefix('+')}: open with a "
            "stronger hook and ask a question in the caption."
        )
    if slot is not None:
        return f"Your best slot is {slot_text(slot)}: schedule your next post then."
    if days != 7:
        per_week = round(posts * 7 / days)
        pace = "fewer than one a week" if per_week < 1 else f"about {fmt.number(per_week, locale)} a week"
        return f"Keep the rhythm: {posts} post{'s' if posts != 1 else ''} this month, {pace}."
    return f"Good rhythm: keep publishing about {posts} post{'s' if posts != 1 else ''} a week."


def slot_text(slot: Mapping[str, Any]) -> str:
    return f"{slot['weekday']} {slot['from']}–{slot['to']}"


# ---------------------------------------------------------------- cover and sentences

Kind = Literal["count", "signed", "percent", "signed_percent", "points"]


@dataclass(frozen=True)
class Headline:
    """One of the cover's three numbers: a label, the value, how to show it and a line under it."""

    label: str
    value: float | None
    kind: Kind
    note: str

    def text(self, locale: str) -> str:
        v = self.value
        if self.kind == "count":
            return fmt.number(v, locale)
        if self.kind == "signed":
            return fmt.signed(v, locale)
        if self.kind == "percent":
            return fmt.percent(v, locale)
        if self.kind == "signed_percent":
            return fmt.percent(v, locale, sign=True)
        return fmt.points(v, locale)


@dataclass(frozen=True)
class Summary:
    headlines: tuple[Headline, Headline, Headline]
    grew: str
    changed: str
    next: str
    grew_total: str = ""  # "what grew" from the totals alone (the public page when it shows totals only)

    def as_dict(self, locale: str) -> dict[str, Any]:
        out = asdict(self)
        out["headlines"] = [{**asdict(h), "text": h.text(locale)} for h in self.headlines]
        return out


def _top_gainer(platforms: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The platform with the largest positive follower change (first listed on a tie)."""
    best: Mapping[str, Any] | None = None
    for p in platforms:
        net = p["followers"].get("net")
        if net is not None and net > 0 and (best is None or net > best["followers"]["net"]):
            best = p
    return best


def _grew(platforms: Sequence[Mapping[str, Any]], total: Mapping[str, Any], span: str, locale: str) -> str:
    net, rate = total.get("net"), total.get("growth_rate")
    if net is None:
        return "There are no follower numbers for this period yet."
    top = _top_gainer(platforms)
    if top is not None and len([p for p in platforms if p["followers"].get("net") is not None]) > 1:
        share = top["followers"]["net"] / net * 100 if net > 0 else None
        text = (
            f"{top['name']} grew the most: {fmt.signed(top['followers']['net'], locale)} followers "
            f"({fmt.percent(top['followers'].get('growth_rate'), locale, sign=True)})"
        )
        if share is not None and share <= 100:
            text += f", {fmt.percent(share, locale, digits=0)} of the {span}'s gain"
        return text + "."
    if net > 0:
        return (
            f"Followers grew by {fmt.signed(net, locale)} ({fmt.percent(rate, locale, sign=True)}) {span_words(span)}."
        )
    if net < 0:
        return (
            f"Followers fell by {fmt.number(-net, locale)} ({fmt.percent(rate, locale, sign=True)}) {span_words(span)}."
        )
    return f"Followers held steady at {fmt.number(total.get('end'), locale)} {span_words(span)}."


def span_words(span: str) -> str:
    return {"week": "this week", "month": "this month", "programme": "over the programme"}.get(span, f"this {span}")


def _engagement_sentence(
    before: float | None, now: float | None, change: float | None, versus: str, no_before: str, locale: str
) -> str:
    if now is None:
        return "No posts in this period, so there is no engagement rate yet."
    if change is None or before is None:
        return f"Engagement was {fmt.percent(now, locale)} ({no_before})."
    if change >= ENGAGEMENT_SHIFT:
        verb = "rose"
    elif change <= -ENGAGEMENT_SHIFT:
        verb = "fell"
    else:
        return f"Engagement held steady at {fmt.percent(now, locale)} ({fmt.points(change, locale)} {versus})."
    return (
        f"Engagement {verb} from {fmt.percent(before, locale)} to {fmt.percent(now, locale)} "
        f"({fmt.points(change, locale)} {versus})."
    )


def periodic(r: Mapping[str, Any], locale: str, span: str = "week") -> Summary:
    """A weekly (or monthly) report: followers now, the change, engagement; rating reason; advice."""
    total, eng = r["total"], r["engagement"]
    accounts = len(r.get("platforms") or [])
    headlines = (
        Headline("Followers", total.get("end"), "count", f"across {accounts} account{'s' if accounts != 1 else ''}"),
        Headline(
            f"Change {span_words(span)}",
            total.get("net"),
            "signed",
            fmt.percent(total.get("growth_rate"), locale, sign=True),
        ),
        Headline(
            "Engagement",
            eng.get("rate"),
            "percent",
            f"{fmt.points(eng.get('change_points'), locale)} vs the {span} before"
            if eng.get("change_points") is not None
            else f"{eng.get('posts') or 0} post{'s' if eng.get('posts') != 1 else ''}",
        ),
    )
    changed = _engagement_sentence(
        eng.get("previous"),
        eng.get("rate"),
        eng.get("change_points"),
        f"vs the {span} before",
        f"no posts the {span} before to compare with",
        locale,
    )
    return Summary(
        headlines,
        _grew(r.get("platforms") or [], total, span, locale),
        changed,
        r.get("advice") or _next_generic(r),
        _grew([], total, span, locale),
    )


def _next_generic(r: Mapping[str, Any]) -> str:
    if not r.get("has_connections"):
        return "Connect an account in the portal to get numbers."
    if not r.get("has_data"):
        return "Numbers appear after the next sync."
    return "Keep your posting rhythm and check the top posts for what worked."


def program(r: Mapping[str, Any], locale: str) -> Summary:
    """The programme report: followers gained, growth, engagement now; the milestones; what to keep doing."""
    total, eng = r["total"], r["engagement"]
    days = (r.get("period") or {}).get("days")
    headlines = (
        Headline(
            "Followers gained",
            total.get("net"),
            "signed",
            f"{fmt.number(total.get('start'), locale)} → {fmt.number(total.get('end'), locale)}",
        ),
        Headline("Growth", total.get("growth_rate"), "signed_percent", f"over {days} days" if days else ""),
        Headline(
            "Engagement",
            eng.get("end"),
            "percent",
            f"{fmt.points(eng.get('change_points'), locale)} since the first 30 days"
            if eng.get("change_points") is not None
            else "last 30 days",
        ),
    )
    changed = _engagement_sentence(
        eng.get("start"),
        eng.get("end"),
        eng.get("change_points"),
        "first vs last 30 days",
        "in the last 30 days; no posts in the first 30 to compare with",
        locale,
    )
    milestones = r.get("milestones") or []
    if milestones:
        done = sum(1 for m in milestones if m.get("completed_on"))
        changed += f" {done} of {len(milestones)} milestone{'s' if len(milestones) != 1 else ''} completed."
    theme, slot = r.get("best_theme"), r.get("best_slot")
    if not r.get("has_connections"):
        nxt = "Connect an account in the portal to measure the programme."
    elif not r.get("has_data"):
        nxt = "Numbers appear after the first sync."
    elif theme and slot:
        nxt = f"Keep going with {theme['label']}, best posted {slot_text(slot)} ({slot['tz']})."
    elif theme:
        nxt = f"Keep going with {theme['label']}: it had the best median engagement."
    elif slot:
        nxt = f"Keep posting {slot_text(slot)} ({slot['tz']}): your best time."
    else:
        nxt = f"Post at least {MIN_POSTS} times a week so the next report can name your best theme and time."
    return Summary(
        headlines,
        _grew(r.get("platforms") or [], total, "programme", locale),
        changed,
        nxt,
        _grew([], total, "programme", locale),
    )


def portfolio(r: Mapping[str, Any], locale: str) -> Summary:
    """The coach's portfolio: clients, followers, average growth; the leader; who needs attention."""
    change = r.get("period_change") or {}
    headlines = (
        Headline("Clients", r.get("clients"), "count", f"cohort {r['cohort']}" if r.get("cohort") else "all clients"),
        Headline("Followers", r.get("total_followers"), "count", f"{fmt.signed(change.get('net'), locale)} in 90 days"),
        Headline("Average growth", r.get("average_growth_rate_90d"), "signed_percent", "per client, 90 days"),
    )
    board = r.get("leaderboard") or []
    grew = (
        f"{board[0]['name']} leads the last 30 days with "
        f"{fmt.percent(board[0]['change'].get('growth_rate'), locale, sign=True)}."
        if board
        else "No client has follower numbers yet."
    )
    attention = r.get("needs_attention") or []
    n = len(attention)
    changed = (
        ("1 client needs attention." if n == 1 else f"{n} clients need attention.") if n else "Nobody needs attention."
    )
    nxt = (
        f"Check in with {attention[0]['name']} first: {'; '.join(attention[0]['reasons'])}."
        if attention
        else ("Share the leaders' top posts with the rest of the group.")
    )
    return Summary(headlines, grew, changed, nxt, grew)


def summarise(r: Mapping[str, Any], locale: str = fmt.DEFAULT_LOCALE) -> Summary:
    """The summary of any report payload, by its kind (a monthly report reads like a weekly one)."""
    kind = r.get("kind")
    if kind == "program":
        return program(r, locale)
    if kind == "portfolio":
        return portfolio(r, locale)
    return periodic(r, locale, "month" if kind == "monthly" else "week")
