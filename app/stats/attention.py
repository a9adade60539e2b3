"""Needs attention with the coach's notes: which reasons are snoozed or resolved, and one client's reasons.

The reasons themselves are ``app.stats.portfolio.attention_reasons`` (docs/metrics.md "Needs attention");
each has a stable key (``reason_key``) so a coach's snooze or resolution of "Ann: lost 40 followers in the
last 14 days" still holds tomorrow when it reads "lost 43". A note is in force while the query's today
(UTC, like the portfolio's) is before its ``until``; after that the reason shows again if it is still true.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from app.extensions import db
from app.models import AttentionNote, Client
from app.models.platforms import PLATFORM_NAMES
from app.stats import portfolio as pf_stats
from app.stats.query import StatsQuery

KINDS = ("decline", "low_engagement", "stalled", "connection")
_PREFIXES = (("lost ", "decline"), ("engagement ", "low_engagement"), ("growth stalled", "stalled"))


def reason_key(reason: str) -> str:
    """``decline``, ``low_engagement``, ``stalled`` or ``connection:<platform>`` (a connection problem of
    that platform, whichever: expiring, expired, failing, stale); ``other`` for anything else."""
    for prefix, key in _PREFIXES:
        if reason.startswith(prefix):
            return key
    for platform, name in PLATFORM_NAMES.items():
        if reason.startswith(f"{name} "):
            return f"connection:{platform}"
    return "other"


def valid_key(key: str) -> bool:
    kind, _, platform = key.partition(":")
    if kind == "connection":
        return platform in PLATFORM_NAMES
    return kind in KINDS and not platform


@dataclass(frozen=True)
class Reason:
    key: str
    text: str
    note: AttentionNote | None  # the snooze / resolution in force, if any


@dataclass(frozen=True)
class ClientAttention:
    client_id: int
    name: str
    reasons: tuple[Reason, ...]

    @property
    def open(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.note is None)

    @property
    def quiet(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.note is not None)


#: above this many clients the notes in force are read whole and filtered in Python
NOTES_IN_LIST_MAX = 500


def notes_in_force(client_ids: Sequence[int], today: date) -> dict[tuple[int, str], AttentionNote]:
    """(client, reason key) -> the newest note whose ``until`` is after ``today``."""
    if not client_ids:
        return {}
    stmt = select(AttentionNote).where(AttentionNote.until > today).order_by(AttentionNote.created_at, AttentionNote.id)
    wanted = set(client_ids)
    if len(wanted) <= NOTES_IN_LIST_MAX:
        stmt = stmt.where(AttentionNote.client_id.in_(wanted))
    # a portfolio of thousands needing attention: the notes in force (few) filtered here, not an IN list of
    # thousands of binds (~110 ms to send and plan at 9,400 clients)
    return {(n.client_id, n.reason): n for n in db.session.execute(stmt).scalars() if n.client_id in wanted}


def with_notes(attention: Sequence[pf_stats.Attention], today: date) -> list[ClientAttention]:
    """The portfolio's needs-attention list with each reason's note in force."""
    notes = notes_in_force([a.client_id for a in attention], today)
    key = functools.lru_cache(maxsize=4096)(reason_key)  # thousands of rows share a few reason texts
    return [
        ClientAttention(
            a.client_id, a.name, tuple(Reason(k, t, notes.get((a.client_id, k))) for t in a.reasons for k in (key(t),))
        )
        for a in attention
    ]


@dataclass(frozen=True)
class AttentionPage:
    """What the portfolio page shows of the list: the first ``shown`` clients with an open reason, how
    many have one, and every client whose reasons are all snoozed or resolved."""

    open: list[ClientAttention]
    open_count: int
    quiet: list[ClientAttention]


def for_page(
    attention: Sequence[pf_stats.Attention],
    today: date,
    shown: int = pf_stats.ATTENTION_SHOWN,
    rest: Sequence[int] = (),
    more: Callable[[list[int]], Mapping[int, pf_stats.Attention]] | None = None,
) -> AttentionPage:
    """``with_notes`` split for the page, building the rows it shows only: a client without a note in force
    has every reason open, so past the first ``shown`` it is only counted (9,400 clients need attention
    in the 10,000-client benchmark; the page lists 50).

    ``rest``: the clients needing attention after ``attention``, ids only (a page result,
    ``Portfolio.attention_rest``); ``more`` reads the reasons of those the page must show: every one with a
    note in force, and as many of the others as notes hid among the first ``shown`` (none, usually)."""
    notes = notes_in_force([a.client_id for a in attention] + list(rest), today)
    noted = {cid for cid, _ in notes}
    key = functools.lru_cache(maxsize=4096)(reason_key)

    def build(a: pf_stats.Attention) -> ClientAttention:
        return ClientAttention(
            a.client_id, a.name, tuple(Reason(k, t, notes.get((a.client_id, k))) for t in a.reasons for k in (key(t),))
        )

    fetched: Mapping[int, pf_stats.Attention] = {}
    want: list[int] = []
    if rest and more is not None:
        hidden = sum(1 for a in attention[:shown] if a.client_id in noted and not build(a).open)
        short = max(0, shown - len(attention) + hidden)  # unnoted rows of ``rest`` the page may list
        want = [cid for cid in rest if cid in noted] + [cid for cid in rest if cid not in noted][:short]
        fetched = more(want) if want else {}
    wanted = set(want)
    opened: list[ClientAttention] = []
    quiet: list[ClientAttention] = []
    count = 0
    entries: list[pf_stats.Attention | int] = [*attention, *rest]
    for item in entries:
        a = fetched.get(item) if isinstance(item, int) else item
        if a is None:  # of ``rest``: not read (no note in force: open), or read and no longer needing attention
            count += item not in wanted
            continue
        if a.client_id not in noted and len(opened) >= shown:
            count += bool(a.reasons)
            continue
        row = build(a)
        if row.open:
            count += 1
            if len(opened) < shown:
                opened.append(row)
        else:
            quiet.append(row)
    return AttentionPage(opened, count, quiet)


def attention_of(
    visible: Select[tuple[Client]], query: StatsQuery, client_ids: Sequence[int]
) -> dict[int, pf_stats.Attention]:
    """Needs attention of a few of the portfolio's clients (those of a page result's ``attention_rest``
    the page must show), from the same definitions; a client without a reason now is absent."""
    if not client_ids:
        return {}
    rows = pf_stats.client_rows(visible.where(Client.id.in_(list(client_ids))), query, pf_stats.LEADERBOARD_DAYS)
    return {
        r.client_id: pf_stats.Attention(r.client_id, r.name, rs) for r in rows if (rs := pf_stats.attention_reasons(r))
    }


def for_client(visible: Select[tuple[Client]], client_id: int, query: StatsQuery) -> ClientAttention:
    """One client's reasons now (the same rows as the portfolio's, for this client alone) with notes."""
    rows = pf_stats.client_rows(visible.where(Client.id == client_id), query, 30)
    reasons = pf_stats.attention_reasons(rows[0]) if rows else ()
    name = rows[0].name if rows else ""
    [out] = with_notes([pf_stats.Attention(client_id, name, reasons)], query.today)
    return out


def history(client_id: int, limit: int = 10) -> list[AttentionNote]:
    """The client's notes, newest first (the client page lists them with who wrote them)."""
    return list(
        db.session.execute(
            select(AttentionNote)
            .where(AttentionNote.client_id == client_id)
            .order_by(AttentionNote.created_at.desc(), AttentionNote.id.desc())
            .limit(limit)
        ).scalars()
    )
