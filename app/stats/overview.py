"""A client's overview: the portal home, the CRM's client social overview and the API share it.

``client_overview(client, query)`` reads the client's live connections (1 query), their whole snapshot
history (1 query) and the posts of the current and previous period (1 query), then computes every
number in memory; the page count of queries does not grow with platforms, days or posts.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.extensions import db
from app.models import Client, Connection, ConnectionStatus, Goal
from app.models.platforms import PLATFORM_NAMES
from app.stats.content import Post, load_posts, top_content, views_or_reach
from app.stats.engagement import EngagementSummary, mean_rate
from app.stats.goals import GoalStatus, goal_statuses
from app.stats.growth import Change
from app.stats.milestones import Milestone, milestones
from app.stats.query import Period, StatsQuery
from app.stats.scoping import connections_query
from app.stats.series import History, Series, follower_series, load_histories, sum_bounds

MONTH = 30


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    name: str
    username: str | None
    status: str
    followers: int | None
    share: float | None  # % of the client's total
    change: Change  # over the period
    monthly_gain: int | None  # net change over the last 30 days
    label: str  # performance label from the 30-day growth rate
    #: bounds of the true count when it is a rounded one (YouTube), else None: shown as "about ..."
    bounds: tuple[int, int] | None = None
    #: the period's change is exactly known (not a difference of rounded counts)
    change_exact: bool = True
    #: bounds of the true count at the period's start when that is a rounded one
    start_bounds: tuple[int, int] | None = None


@dataclass(frozen=True)
class ProgramProgress:
    start: date | None
    start_total: int | None
    now_total: int | None

    @property
    def change(self) -> Change:
        return Change(self.start_total, self.now_total)


@dataclass
class ClientOverview:
    client_id: int
    query: StatsQuery
    period: Period  # resolved (all time has a start)
    connections: list[Connection]
    history: History
    total: Change
    platforms: list[PlatformRow]
    engagement: EngagementSummary
    series: list[Series]
    milestones: list[Milestone]
    program: ProgramProgress
    posts: list[Post]
    top: list[Post]
    engagement_start: float | None  # program's first 30 days
    engagement_now: float | None  # last 30 days
    goals: list[GoalStatus] = field(default_factory=list)
    #: each platform's own mean post rate beside the cross-platform one (YouTube's policies: a figure
    #: mixing YouTube data with others shows YouTube's part separately); the period, the last 30 days
    engagement_parts: list[tuple[str, float | None]] = field(default_factory=list)
    engagement_now_parts: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def total_bounds(self) -> tuple[int, int] | None:
        """The bounds of today's total when a rounded count is part of it (shown as "about ...")."""
        return sum_bounds(self.history.accounts, self.period.end)

    @property
    def now_bounds(self) -> tuple[int, int] | None:
        """The bounds of today's total (the CRM's "Followers now") when a rounded count is part of it."""
        return sum_bounds(self.history.accounts, self.query.today)

    @property
    def program_start_bounds(self) -> tuple[int, int] | None:
        """The bounds of the total on the program start day when a rounded count is part of it."""
        return sum_bounds(self.history.accounts, self.program.start) if self.program.start else None

    @property
    def total_change_exact(self) -> bool:
        assert self.period.start is not None
        return all(a.change_is_exact(self.period.start, self.period.end) for a in self.history.accounts)

    @property
    def has_connections(self) -> bool:
        return bool(self.connections)

    @property
    def has_data(self) -> bool:
        return self.history.has_data

    @property
    def last_synced(self) -> datetime | None:
        times = [c.last_sync_at for c in self.connections if c.last_sync_at]
        return max(times) if times else None

    @property
    def data_version(self) -> str:
        """Changes with every sync of these connections and every milestone change (chart cache key)."""
        conns = ",".join(f"{c.id}:{c.last_sync_at}:{c.updated_at}" for c in self.connections)
        ms = ",".join(f"{m.code}:{m.completed_on}" for m in self.milestones)
        return f"{conns}|{ms}|{self.program.start}|{self.history.last_day}"


def performance_label(rate: float | None) -> str:
    """Per-platform label from the 30-day growth rate (docs/metrics.md)."""
    if rate is None:
        return "No data"
    if rate >= 5:
        return "Strong growth"
    if rate >= 1:
        return "Growing"
    if rate > -1:
        return "Flat"
    return "Declining"


def client_connections(client_id: int, query: StatsQuery) -> list[Connection]:
    return list(db.session.execute(connections_query([client_id], query)).scalars())


def _platform_rows(
    history: History, conns: list[Connection], period: Period, today: date, total_now: int | None
) -> list[PlatformRow]:
    rows = []
    assert period.start is not None
    for c in conns:
        acc = next(a for a in history.accounts if a.connection.id == c.id)
        now = acc.at(period.end)[0]
        month = Change(acc.at(today - timedelta(days=MONTH))[0], acc.at(today)[0])
        rows.append(
            PlatformRow(
                platform=c.platform,
                name=PLATFORM_NAMES.get(c.platform, c.platform),
                username=c.username,
                status=c.status,
                followers=now,
                share=(now / total_now * 100.0) if now is not None and total_now else None,
                change=Change(acc.at(period.start)[0], now),
                monthly_gain=month.net,
                label=performance_label(month.rate),
                bounds=acc.bounds(period.end),
                change_exact=acc.change_is_exact(period.start, period.end),
                start_bounds=acc.bounds(period.start),
            )
        )
    return rows


def _window_rate(posts: list[Post], start: date, end: date) -> float | None:
    return mean_rate(p.rate for p in posts if start < p.published_at.date() <= end)


def client_overview(
    client: Client, query: StatsQuery, goals: list[Goal] | None = None, top_n: int = 5
) -> ClientOverview:
    """Every number of a client's overview for ``query`` (see the module docstring for the queries)."""
    conns = client_connections(client.id, query)
    history = load_histories(conns).get(client.id, History(accounts=[]))
    period = query.period.resolved(history.first_day)
    assert period.start is not None
    prev = period.previous()
    today = query.today
    engagement_from = min(period.start, today - timedelta(days=MONTH))
    if prev and prev.start:
        engagement_from = min(engagement_from, prev.start)
    if client.program_start:
        engagement_from = min(engagement_from, client.program_start)
    all_posts = load_posts(conns, Period("load", max(period.end, today), engagement_from))
    posts = [p for p in all_posts if period.contains(p.published_at.date())]
    prev_posts = [p for p in all_posts if prev is not None and prev.contains(p.published_at.date())]
    total = Change(history.total_at(period.start), history.total_at(period.end))
    ps = client.program_start
    eng_start = _window_rate(all_posts, ps - timedelta(days=1), ps + timedelta(days=MONTH - 1)) if ps else None
    return ClientOverview(
        client_id=client.id,
        query=query,
        period=period,
        connections=conns,
        history=history,
        total=total,
        platforms=_platform_rows(history, conns, period, today, total.end),
        engagement=EngagementSummary(
            mean_rate(p.rate for p in posts), mean_rate(p.rate for p in prev_posts) if prev else None, len(posts)
        ),
        series=follower_series(history, period),
        milestones=milestones(history, client.deliverables, ps, today),
        program=ProgramProgress(ps, history.total_at(ps) if ps else None, history.total_at(today)),
        posts=posts,
        top=top_content(posts, top_n),
        engagement_start=eng_start,
        engagement_now=_window_rate(all_posts, today - timedelta(days=MONTH), today),
        goals=goal_statuses(goals or [], history, today),
        engagement_parts=rate_parts(posts, history.platforms),
        engagement_now_parts=rate_parts(
            [p for p in all_posts if today - timedelta(days=MONTH) < p.published_at.date() <= today], history.platforms
        ),
    )


def rate_parts(posts: list[Post], platforms: list[str]) -> list[tuple[str, float | None]]:
    """(platform, mean post rate of its posts) for each platform, in the client's order."""
    return [(pl, mean_rate(p.rate for p in posts if p.platform == pl)) for pl in platforms]


def client_goals(client: Client, goals: list[Goal], today: date | None = None) -> list[GoalStatus]:
    """Goal statuses on the client's whole history (all live platforms, not a page's platform filter):
    the CRM goals card, after a goal is set or removed, without the rest of the overview."""
    from app.stats.query import parse

    query = parse({}, tz=client.time_zone, now=today)
    conns = client_connections(client.id, query)
    history = load_histories(conns).get(client.id, History(accounts=[]))
    return goal_statuses(goals, history, query.today)


@dataclass(frozen=True)
class MetricPoint:
    label: str
    value: float | None


def weekly_post_metric(posts: list[Post], period: Period, metric: str) -> dict[str, list[MetricPoint]]:
    """Per platform, by week of publication: mean post ER (engagement), summed views (reach) or posts."""
    assert period.start is not None
    weeks = max(1, -(-(period.end - period.start).days // 7))
    buckets: dict[str, dict[int, list[Post]]] = defaultdict(lambda: defaultdict(list))
    for p in posts:
        idx = min((p.published_at.date() - period.start - timedelta(days=1)).days // 7, weeks - 1)
        buckets[p.platform][max(idx, 0)].append(p)
    out: dict[str, list[MetricPoint]] = {}
    for platform, by_week in buckets.items():
        pts = []
        for w in range(weeks):
            label = (period.start + timedelta(days=1 + 7 * w)).isoformat()
            items = by_week.get(w, [])
            value: float | None
            if metric == "engagement":
                rates = [p.rate for p in items if p.rate is not None]
                value = statistics.fmean(rates) if rates else None
            elif metric == "reach":
                value = float(views_or_reach(items))
            else:
                value = float(len(items))
            pts.append(MetricPoint(label, value))
        out[platform] = pts
    return out


NEEDS_RECONNECT = {s.value for s in ConnectionStatus if s.needs_reconnect}
