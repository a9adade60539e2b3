"""Coaching impact (docs/metrics.md, "Coaching impact"): adoption, usage and value against the business's
targets, the effect of each deliverable across the portfolio, and the case-study candidates.

Everything is computed for a set of clients (an admin's: every client) on UTC days. The pure parts
(``mean_ci``, ``deliverable_effects``, ``cohort_growth``) take plain numbers so the tests compute them by
hand; ``impact`` loads what they need: 6 queries plus one per 2,000 (connection, day) levels read.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, Select, column, func, literal, select, text, union_all

from app.extensions import db
from app.models import (
    CaseStudyConsent,
    Client,
    Connection,
    ConnectionStatus,
    DailySnapshot,
    Deliverable,
    UsageDay,
    UsageKind,
)
from app.stats.growth import growth_rate
from app.stats.milestones import IMPACT_DAYS

#: the spec's success metrics
TARGETS: dict[str, float] = {
    "connected_1plus_pct": 70.0,
    "connected_2plus_pct": 40.0,
    "active_connections_pct": 90.0,
    "weekly_active_clients_pct": 60.0,
    "report_exporters_pct": 50.0,
    "average_program_growth_pct": 45.0,
    "case_studies": 5,
}
CASE_STUDY_GROWTH_PCT = 100.0
WEEKLY_ACTIVE_DAYS = 7
#: a live connection is active while it syncs: connected, syncing, or still working but expiring soon
ACTIVE_STATUSES = (ConnectionStatus.CONNECTED, ConnectionStatus.SYNCING, ConnectionStatus.EXPIRING)
SMALL_SAMPLE = 10  # below this many clients an effect is flagged as a small sample

#: two-sided 95% critical values of Student's t by degrees of freedom (1..30); 1.96 beyond
T_975: tuple[float, ...] = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def pct(part: int, whole: int) -> float | None:
    return part / whole * 100.0 if whole else None


def t_critical(df: int) -> float:
    return T_975[df - 1] if 1 <= df <= len(T_975) else 1.96


def mean_ci(values: Sequence[float]) -> tuple[float | None, tuple[float, float] | None]:
    """The mean and its 95% confidence interval (Student's t, sample standard deviation); no interval
    for fewer than two values."""
    if not values:
        return None, None
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    half = t_critical(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, (mean - half, mean + half)


@dataclass(frozen=True)
class Completion:
    """One client's completion of one deliverable with the growth around it."""

    client_id: int
    code: str
    day: date
    before: float | None  # growth rate (%) over the 28 days before the completion day
    after: float | None  # ... over the 28 days after (None until 28 days have passed)


@dataclass(frozen=True)
class Effect:
    code: str
    n: int  # clients with both windows known
    growth_28d_before: float | None
    growth_28d_after: float | None
    lift_pts: float | None  # mean of (after - before), percentage points
    ci95: tuple[float, float] | None
    waiting: int  # completed, but the 28 days after have not passed (or an end is unknown)
    small_sample: bool


def deliverable_effects(completions: Iterable[Completion]) -> list[Effect]:
    """Per deliverable code (sorted): over clients with both windows known, the mean growth before and
    after and the mean lift with its 95% CI. A client counts once per code (their first completion)."""
    first: dict[tuple[str, int], Completion] = {}
    for c in sorted(completions, key=lambda c: c.day):
        first.setdefault((c.code, c.client_id), c)
    by_code: dict[str, list[Completion]] = {}
    for (code, _), c in first.items():
        by_code.setdefault(code, []).append(c)
    out = []
    for code in sorted(by_code):
        done = [c for c in by_code[code] if c.before is not None and c.after is not None]
        lifts = [c.after - c.before for c in done if c.after is not None and c.before is not None]
        lift, ci = mean_ci(lifts)
        out.append(
            Effect(
                code=code,
                n=len(done),
                growth_28d_before=statistics.fmean(c.before for c in done if c.before is not None) if done else None,
                growth_28d_after=statistics.fmean(c.after for c in done if c.after is not None) if done else None,
                lift_pts=lift,
                ci95=ci,
                waiting=len(by_code[code]) - len(done),
                small_sample=len(done) < SMALL_SAMPLE,
            )
        )
    return out


@dataclass(frozen=True)
class ProgramGrowth:
    client_id: int
    name: str
    cohort: str  # programme start month "YYYY-MM"
    start: date
    end: date
    start_total: int
    end_total: int
    growth_pct: float


@dataclass(frozen=True)
class Cohort:
    cohort: str
    n: int
    average_growth_pct: float


def cohort_growth(rows: Sequence[ProgramGrowth]) -> list[Cohort]:
    groups: dict[str, list[float]] = {}
    for r in rows:
        groups.setdefault(r.cohort, []).append(r.growth_pct)
    return [Cohort(k, len(v), statistics.fmean(v)) for k, v in sorted(groups.items())]


TotalAt = Callable[[int, date], int | None]


def program_growth(client: Client, total_at: TotalAt, today: date) -> ProgramGrowth | None:
    """total(min(programme end, today)) against the total the day before the programme start (the
    programme report's "start", so a case study and this page agree); None without a start, a start
    after today, or a total unknown at either end. ``total_at(client id, day)``: followers(day) summed
    over the client's live connections (``Levels.total_at``)."""
    start = client.program_start
    if start is None or start > today:
        return None
    end = min(client.program_end or today, today)
    a, b = total_at(client.id, start - timedelta(days=1)), total_at(client.id, end)
    rate = growth_rate(b, a)
    if a is None or b is None or rate is None or end <= start:
        return None
    return ProgramGrowth(client.id, client.display_name, start.strftime("%Y-%m"), start, end, a, b, rate)


def _counted(d: Deliverable, today: date) -> bool:
    """Completed on or before today (a completion dated in the future is left out; a reopened one has none)."""
    return d.completed_at is not None and d.completed_at.date() <= today


def completions(deliverables: Sequence[Deliverable], total_at: TotalAt, today: date) -> list[Completion]:
    """Completed deliverables with each client's growth around the completion day."""
    out = []
    window = timedelta(days=IMPACT_DAYS)
    for d in deliverables:
        if not _counted(d, today) or d.completed_at is None:
            continue
        day = d.completed_at.date()
        at = total_at(d.client_id, day)
        before = growth_rate(at, total_at(d.client_id, day - window))
        after = growth_rate(total_at(d.client_id, day + window), at) if day + window <= today else None
        out.append(Completion(d.client_id, d.code.strip().upper(), day, before, after))
    return out


class Levels:
    """followers(d) (the snapshot on d, else the last one before it: docs/metrics.md "Days and history")
    of each live connection on just the days the impact numbers read, in a few queries, instead of
    every client's whole history (1,000 clients x 2 years is 2.2M rows)."""

    CHUNK = 50_000
    SQLITE_CHUNK = 400  # SQLite has no VALUES with column names here: a UNION ALL, at most 500 terms

    def __init__(self, conns: Sequence[Connection], days: dict[int, set[date]]) -> None:
        self.by_client: dict[int, list[int]] = {}
        for c in conns:
            self.by_client.setdefault(c.client_id, []).append(c.id)
        pairs = [(cid, d) for client, ds in days.items() for cid in self.by_client.get(client, []) for d in sorted(ds)]
        self.values: dict[tuple[int, date], int] = {}
        postgres = db.session.get_bind().dialect.name == "postgresql"
        size = self.CHUNK if postgres else self.SQLITE_CHUNK
        for start in range(0, len(pairs), size):
            chunk = pairs[start : start + size]
            want = _wanted(chunk, postgres)
            level = (
                select(DailySnapshot.followers)
                .where(DailySnapshot.connection_id == want.c.cid, DailySnapshot.day <= want.c.d)
                .order_by(DailySnapshot.day.desc())
                .limit(1)
                .scalar_subquery()
            )
            for i, followers in db.session.execute(select(want.c.i, level)):
                if followers is not None:
                    self.values[chunk[i]] = int(followers)

    def total_at(self, client_id: int, day: date) -> int | None:
        """The sum of the known values (None when none is known), like ``History.total_at``."""
        known = [v for cid in self.by_client.get(client_id, []) if (v := self.values.get((cid, day))) is not None]
        return sum(known) if known else None


def _wanted(chunk: Sequence[tuple[int, date]], postgres: bool) -> Any:
    """The (row number from 0, connection id, day) rows to look up, as a FROM clause: on PostgreSQL two
    array parameters unnested (one bind each: a VALUES list of thousands of binds took seconds to
    compile), elsewhere a UNION ALL of literal rows."""
    if postgres:
        return (
            text(
                "SELECT w.i - 1 AS i, w.cid, w.d FROM unnest(CAST(:cids AS integer[]), CAST(:days AS date[]))"
                " WITH ORDINALITY AS w(cid, d, i)"
            )
            .bindparams(cids=[cid for cid, _ in chunk], days=[d for _, d in chunk])
            .columns(column("i", Integer), column("cid", Integer), column("d", Date))
            .subquery("want")
        )
    rows = [
        select(literal(i, Integer).label("i"), literal(cid, Integer).label("cid"), literal(d, Date).label("d"))
        for i, (cid, d) in enumerate(chunk)
    ]
    return union_all(*rows).subquery("want")


def days_needed(clients: Sequence[Client], deliverables: Sequence[Deliverable], today: date) -> dict[int, set[date]]:
    """Per client, the days ``program_growth`` and ``completions`` read."""
    out: dict[int, set[date]] = {}
    for c in clients:
        if c.program_start is not None and c.program_start <= today:
            end = min(c.program_end or today, today)
            out.setdefault(c.id, set()).update({c.program_start - timedelta(days=1), end})
    window = timedelta(days=IMPACT_DAYS)
    for d in deliverables:
        if _counted(d, today) and d.completed_at is not None:
            day = d.completed_at.date()
            out.setdefault(d.client_id, set()).update({day - window, day, day + window})
    return out


@dataclass
class Impact:
    today: date
    clients: int
    connected_1plus_pct: float | None
    connected_2plus_pct: float | None
    active_connections_pct: float | None
    connections: int
    weekly_active_clients_pct: float | None
    report_exporters_pct: float | None
    average_program_growth_pct: float | None
    program_clients: int  # clients with a programme growth (start set, data at both ends)
    cohorts: list[Cohort]
    effects: list[Effect]
    case_studies: list[ProgramGrowth]
    consents: dict[int, CaseStudyConsent] = field(default_factory=dict)  # in force, by client id
    targets: dict[str, float] = field(default_factory=lambda: dict(TARGETS))


def impact(visible: Select[tuple[Client]], today: date) -> Impact:
    clients = list(db.session.execute(visible.order_by(Client.id)).scalars())
    ids = [c.id for c in clients]
    live = list(
        db.session.execute(
            select(Connection).where(Connection.client_id.in_(ids), Connection.disconnected_at.is_(None))
        ).scalars()
    )
    platforms: dict[int, set[str]] = {}
    for c in live:
        platforms.setdefault(c.client_id, set()).add(c.platform)
    active = sum(1 for c in live if c.state in ACTIVE_STATUSES)
    since = today - timedelta(days=WEEKLY_ACTIVE_DAYS - 1)
    weekly = _count_clients(ids, [UsageKind.ANALYTICS.value], since)
    exporters = _count_clients(ids, [UsageKind.EXPORT.value, UsageKind.REPORT.value], None)
    dels = list(db.session.execute(select(Deliverable).where(Deliverable.client_id.in_(ids))).scalars())
    levels = Levels(live, days_needed(clients, dels, today))
    growth = [g for c in clients if (g := program_growth(c, levels.total_at, today))]
    consents = {
        row.client_id: row
        for row in db.session.execute(
            select(CaseStudyConsent).where(CaseStudyConsent.client_id.in_(ids), CaseStudyConsent.withdrawn_at.is_(None))
        ).scalars()
    }
    return Impact(
        today=today,
        clients=len(ids),
        connected_1plus_pct=pct(sum(1 for p in platforms.values() if p), len(ids)),
        connected_2plus_pct=pct(sum(1 for p in platforms.values() if len(p) >= 2), len(ids)),
        active_connections_pct=pct(active, len(live)),
        connections=len(live),
        weekly_active_clients_pct=pct(weekly, len(ids)),
        report_exporters_pct=pct(exporters, len(ids)),
        average_program_growth_pct=statistics.fmean(g.growth_pct for g in growth) if growth else None,
        program_clients=len(growth),
        cohorts=cohort_growth(growth),
        effects=deliverable_effects(completions(dels, levels.total_at, today)),
        case_studies=sorted(
            (g for g in growth if g.growth_pct >= CASE_STUDY_GROWTH_PCT), key=lambda g: (-g.growth_pct, g.client_id)
        ),
        consents=consents,
    )


def _count_clients(ids: Sequence[int], kinds: Sequence[str], since: date | None) -> int:
    if not ids:
        return 0
    stmt = select(func.count(func.distinct(UsageDay.client_id))).where(
        UsageDay.client_id.in_(list(ids)), UsageDay.kind.in_(list(kinds))
    )
    if since is not None:
        stmt = stmt.where(UsageDay.day >= since)
    return int(db.session.execute(stmt).scalar_one())


def _r(v: float | None, nd: int = 1) -> float | None:
    return None if v is None else round(v, nd)


def as_json(imp: Impact) -> dict[str, Any]:
    """``GET /api/admin/social/impact`` (contract 6.4, with the targets, cohorts and caveats beside)."""
    return {
        "as_of": imp.today.isoformat(),
        "adoption": {
            "clients": imp.clients,
            "connected_1plus_pct": _r(imp.connected_1plus_pct),
            "connected_2plus_pct": _r(imp.connected_2plus_pct),
            "active_connections_pct": _r(imp.active_connections_pct),
            "connections": imp.connections,
        },
        "usage": {
            "weekly_active_clients_pct": _r(imp.weekly_active_clients_pct),
            "report_exporters_pct": _r(imp.report_exporters_pct),
        },
        "value": {
            "average_program_growth_pct": _r(imp.average_program_growth_pct),
            "program_clients": imp.program_clients,
            "cohorts": [
                {"cohort": c.cohort, "n": c.n, "average_growth_pct": _r(c.average_growth_pct)} for c in imp.cohorts
            ],
            "deliverables": [
                {
                    "code": e.code,
                    "n": e.n,
                    "growth_28d_before": _r(e.growth_28d_before, 2),
                    "growth_28d_after": _r(e.growth_28d_after, 2),
                    "lift_pts": _r(e.lift_pts, 2),
                    "ci95": [round(e.ci95[0], 2), round(e.ci95[1], 2)] if e.ci95 else None,
                    "waiting": e.waiting,
                    "small_sample": e.small_sample,
                }
                for e in imp.effects
            ],
            "case_studies": [
                {
                    "client_id": g.client_id,
                    "growth_pct": _r(g.growth_pct),
                    "program_start": g.start.isoformat(),
                    "through": g.end.isoformat(),
                    "consent": "named"
                    if (c := imp.consents.get(g.client_id)) and c.named
                    else ("anonymous" if c else "none"),
                }
                for g in imp.case_studies
            ],
        },
        "targets": imp.targets,
        "caveats": CAVEATS,
    }


CAVEATS = (
    "A deliverable's effect compares each client's growth in the 28 days after completing it with the 28 "
    "days before; it is a correlation, not proof: growth also changes with time in the programme, season, "
    "platform changes and other deliverables completed in the same weeks.",
    f"Effects over fewer than {SMALL_SAMPLE} clients are small samples: their 95% intervals are wide and "
    "one client can move them.",
)
