"""Writes of synced data: every row by upsert on its natural key (J1, D2), all of one sync in one
transaction (the caller commits), so a re-run never duplicates and a crash never half-writes a day.

Follower history from a platform's own daily numbers (YouTube subscribers gained/lost, Instagram's
daily new followers) is anchored on the first measured count: ``followers(d) = F - sum(net(D) for
d < D <= M)``. Days whose net change is not known yet (analytics lag) are ``carried`` until a later
sync's re-check brings the numbers, then recomputed as ``backfilled``; measured and imported days are
never touched.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, Table, Text, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors

from app.extensions import db
from app.models.base import utcnow
from app.models.history import AccountInsight, ContentItem, ContentMetricSnapshot, DailySnapshot, Provenance
from app.models.sync import RawResponse
from app.platforms.base import ContentItem as PItem
from app.platforms.base import DailyInsight, Metrics, Profile
from app.sync.recorder import RawCall

CHUNK = 200
BIG = 2**62
METRIC_COLUMNS = {
    "views": "views",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "saves": "saves",
    "reach": "reach",
}
#: net follower change of a day from account insights, per platform
NET_METRICS: dict[str, tuple[str, str | None]] = {
    "youtube": ("followers_gained", "followers_lost"),
    "instagram": ("new_followers", None),  # gains only: Instagram gives no daily unfollows in the series
    "facebook": ("followers_gained", "followers_lost"),  # page_daily_follows_unique / page_daily_unfollows_unique
    "linkedin": ("new_followers", None),  # memberFollowersCount?q=dateRange: followers gained per day
}


#: upsert statements built once per process (``upsert``): (statement, SET clause, WHERE clause)
_BUILT: dict[tuple[Any, ...], tuple[Any, dict[str, Any], Any]] = {}
_BUILT_UNNEST: dict[tuple[Any, ...], Any] = {}


def _build(
    table: Table,
    keys: Sequence[str],
    update_cols: Sequence[str],
    coalesce: Sequence[str],
    keep: Sequence[str],
    changed_only: bool,
    where: Any,
) -> tuple[Any, dict[str, Any], Any]:
    """The row-by-row ``INSERT ... ON CONFLICT`` of ``upsert`` with its SET and WHERE clauses."""
    stmt = _insert(table)
    sets: dict[str, Any] = {c: stmt.excluded[c] for c in update_cols}
    for col in coalesce:
        sets[col] = func.coalesce(stmt.excluded[col], table.c[col])
    for col in keep:
        sets[col] = func.coalesce(table.c[col], stmt.excluded[col])
    if changed_only and update_cols:
        differs = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in update_cols))
        where = differs if where is None else and_(where, differs)
    if sets:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=sets, where=where)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    return stmt, sets, where


def _insert(model: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def upsert(
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update_cols: Iterable[str] = (),
    coalesce: Iterable[str] = (),
    where: Any = None,
    keep: Iterable[str] = (),
    changed_only: bool = False,
) -> None:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` for ``rows``; ``coalesce`` columns keep the stored
    value when the new one is NULL (a platform that omitted a number does not erase it); ``keep``
    columns keep the stored value unless it is NULL (the first value written wins); ``changed_only``
    leaves a stored row alone when no ``update_cols`` value differs (no dead tuple, no trigger run: a
    daily sync re-reads days and history it mostly already has).

    Why Core ``executemany`` of one single-row statement built once per process: the driver batches the
    rows (psycopg pipelines, SQLite loops in C). The dialects' ``INSERT ... ON CONFLICT`` has no cache key
    in SQLAlchemy 2.0: each execution compiles it (0.2-0.6 ms), not each row (bench/README.md, "Sync CPU,
    third pass"). Rows are grouped by their keys (a missing key would mean NULL for the whole batch)."""
    if not rows:
        return
    table = model.__table__
    update_cols, coalesce, keep = list(update_cols), list(coalesce), list(keep)
    dialect = db.session.get_bind().dialect.name
    # the statements of an upsert without a caller's ``where`` are the same on every call: built once per
    # process, so neither they nor their cache keys are made again for every upsert of every sync
    memo = (dialect, table.name, tuple(keys), tuple(update_cols), tuple(coalesce), tuple(keep), changed_only)
    cached = where is None
    built = _BUILT.get(memo) if cached else None
    if built is None:
        built = _build(table, keys, update_cols, coalesce, keep, changed_only, where)
        if cached:
            _BUILT[memo] = built
    stmt, sets, where = built
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    db.session.flush()  # what the ORM execute did before (autoflush): pending objects first
    conn = db.session.connection()
    if not cached and where is not None and any(getattr(b, "expanding", False) for b in visitors.iterate(where)):
        for row in rows:  # an IN list is expanded per execution, which executemany cannot do: rare, slow
            conn.execute(stmt, dict(row))
        return
    for shape, batch in shapes.items():
        if len(batch) >= UNNEST_MIN_ROWS and dialect == "postgresql" and _distinct_keys(batch, keys):
            _run_unnest(conn, table, shape, batch, keys, sets, where, (*memo, shape) if cached else None)
            continue
        for start in range(0, len(batch), CHUNK * 5):
            conn.execute(stmt, list(batch[start : start + CHUNK * 5]))


def _run_unnest(
    conn: Any,
    table: Table,
    shape: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    sets: Mapping[str, Any],
    where: Any,
    memo: tuple[Any, ...] | None,
) -> None:
    """``rows`` (one shape, no key twice) by ``_unnest_statement``, built once per ``memo`` (None: not kept)."""
    many = _BUILT_UNNEST.get(memo) if memo is not None else None
    if many is None:
        many = _unnest_statement(table, shape, keys, sets, where)
        if memo is not None:
            _BUILT_UNNEST[memo] = many
    for start in range(0, len(rows), UNNEST_CHUNK):
        conn.execute(many, _unnest_params(table, shape, rows[start : start + UNNEST_CHUNK]))


#: from this many rows of one shape an upsert on PostgreSQL is one ``INSERT ... SELECT FROM unnest(...)``
UNNEST_MIN_ROWS = 2


def _distinct_keys(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> bool:
    """Whether no two rows share a key: one statement may not update a row twice (executemany may)."""
    return len({tuple(r[k] for k in keys) for r in rows}) == len(rows)


def _unnest_source(table: Table, cols: Sequence[str]) -> Any:
    """``SELECT u.a, u.b ... FROM unnest(:u_a, :u_b ...) AS u(a, b ...)``: one array parameter per column
    (JSON columns travel as text and are cast back)."""
    arrays = [
        bindparam(f"u_{c}", type_=postgresql.ARRAY(Text() if isinstance(table.c[c].type, JSON) else table.c[c].type))
        for c in cols
    ]
    src = func.unnest(*arrays).table_valued(*cols).render_derived(name="u")
    json_cols = {c for c in cols if isinstance(table.c[c].type, JSON)}
    return select(*(sql_cast(src.c[c], table.c[c].type) if c in json_cols else src.c[c] for c in cols))


def _unnest_params(table: Table, cols: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for c in cols:
        values = [r[c] for r in rows]
        if isinstance(table.c[c].type, JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        out[f"u_{c}"] = values
    return out


def _unnest_statement(
    table: Table, cols: tuple[str, ...], keys: Sequence[str], sets: Mapping[str, Any], where: Any
) -> Any:
    """The rows of one upsert as one statement on PostgreSQL (bench/README.md, "Sync CPU"): the
    driver sends one message instead of one per row, and each statement-level trigger of the table
    (the portfolio's stale marks, ``0030_portfolio``) runs once, not once per row. Same ``ON CONFLICT``
    clause as the row-by-row statement, so the same rows end up written."""
    stmt = postgresql.insert(table).from_select(list(cols), _unnest_source(table, cols))
    if sets:
        # ``excluded`` is the same alias of the table for every insert: the row-by-row clause is reused
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(sets), where=where)
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


#: rows per unnest statement (parameters are arrays: one per column whatever the number of rows)
UNNEST_CHUNK = 5000


def as_int(value: Any) -> int | None:
    """A count as a bounded int; wrong types, NaN and infinities become ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return max(-BIG, min(BIG, int(number)))


def as_float(value: Any) -> float | None:
    number = as_int(value)
    return None if number is None else float(value)


def _text(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\x00", "")
    return text[:limit] if limit else text


def metric_values(metrics: Metrics) -> dict[str, Any]:
    out: dict[str, Any] = {col: as_int(metrics.get(name)) for name, col in METRIC_COLUMNS.items()}
    out["watch_time_seconds"] = as_float(metrics.get("watch_time"))
    return out


def write_snapshot(
    connection_id: int, day: date, profile: Profile, provenance: str = Provenance.MEASURED, rounded: bool = False
) -> bool:
    """Today's account numbers; ``False`` when the platform hides the follower count (nothing written).

    ``rounded``: the platform rounds the count; it is kept as ``reported_followers`` too, and the sync
    then reconciles ``followers`` with the exact daily changes (``app/sync/reconcile.py``).
    """
    followers = as_int(profile.followers)
    if followers is None:
        return False
    row = {
        "connection_id": connection_id,
        "day": day,
        "followers": followers,
        "reported_followers": followers if rounded else None,
        "opening_followers": followers if str(provenance) == Provenance.MEASURED.value else None,
        "following": as_int(profile.following),
        "media_count": as_int(profile.media_count),
        "total_likes": as_int(profile.total_likes),
        "total_views": as_int(profile.total_views),
        "provenance": str(provenance),
        "synced_at": utcnow(),
    }
    upsert(
        DailySnapshot,
        [row],
        ("connection_id", "day"),
        update_cols=("followers", "reported_followers", "provenance", "synced_at"),
        coalesce=("following", "media_count", "total_likes", "total_views"),
        keep=("opening_followers",),
    )
    return True


def write_content(connection_id: int, items: Sequence[PItem], followers: int | None) -> dict[str, int]:
    """Upsert posts by platform id; returns ``{platform_id: row id}``."""
    now = utcnow()
    rows = []
    unique: dict[str, PItem] = {}
    for item in items:  # one row per id even if pages overlapped: the first (newest page) wins
        unique.setdefault(item.platform_id, item)
    for item in unique.values():
        rows.append(
            {
                "connection_id": connection_id,
                "platform_id": _text(item.platform_id, 128),
                "kind": _text(item.kind, 16),
                "caption": _text(item.caption),
                "title": _text(item.title),
                "permalink": _text(item.permalink, 2048),
                "thumbnail_url": _text(item.thumbnail_url, 2048),
                "published_at": item.published_at,
                "duration_seconds": as_int(item.duration_seconds),
                "hashtags": [t[:100] for t in item.hashtags[:50]],
                "tags": clean_tags(item.extras.get("tags")),
                "category_id": _text(item.extras.get("category_id"), 8) if item.extras.get("category_id") else None,
                **metric_values(item.metrics),
                "extra_metrics": _extras(item.metrics),
                "followers_at_measure": followers,
                "metrics_updated_at": now,
                "first_seen_at": now,
            }
        )
    upsert(
        ContentItem,
        rows,
        ("connection_id", "platform_id"),
        update_cols=(
            "kind",
            "caption",
            "title",
            "permalink",
            "thumbnail_url",
            "published_at",
            "duration_seconds",
            "hashtags",
            "tags",
            "category_id",
            "extra_metrics",
            "metrics_updated_at",
        ),
        coalesce=(*METRIC_COLUMNS.values(), "watch_time_seconds", "followers_at_measure"),
    )
    ids = [r["platform_id"] for r in rows]
    found: dict[str, int] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(
            db.session.execute(
                select(ContentItem.platform_id, ContentItem.id).where(
                    ContentItem.connection_id == connection_id, ContentItem.platform_id.in_(ids[start : start + CHUNK])
                )
            )
            .tuples()
            .all()
        )
    return found


#: how many of a video's tags are kept, and how long each may be (YouTube allows 500 characters in all)
MAX_TAGS, MAX_TAG_LENGTH = 50, 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_tags(raw: Any) -> list[str] | None:
    """A video's tags as stored: strings only, control characters removed, trimmed, at most
    ``MAX_TAG_LENGTH`` characters each and ``MAX_TAGS`` in all, duplicates dropped (``None``: the
    platform has no tags). Markup is kept as text: the pages escape it."""
    if not isinstance(raw, list):
        return None
    out: list[str] = []
    for tag in raw:
        if isinstance(tag, str):
            text = _CONTROL.sub("", tag).strip()[:MAX_TAG_LENGTH]
            if text and text not in out:
                out.append(text)
    return out[:MAX_TAGS]


def _extras(metrics: Metrics) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in metrics.items():
        if name not in METRIC_COLUMNS and name != "watch_time":
            number = as_float(value)
            if number is not None:
                out[str(name)[:48]] = number
    return out


def remove_content(connection_id: int, platform_ids: Sequence[str]) -> int:
    """Delete the connection's posts the platform says no longer exist, with everything hanging off
    them (metric snapshots, tags, analytics: ``ON DELETE CASCADE``); returns how many went."""
    if not platform_ids:
        return 0
    result = db.session.execute(
        delete(ContentItem).where(
            ContentItem.connection_id == connection_id, ContentItem.platform_id.in_(list(platform_ids))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


#: owner-only numbers a platform stops giving after a while (X: the owner's posts over 30 days old): a
#: later read without them keeps the last ones read instead of erasing them
KEPT_EXTRAS: dict[str, tuple[str, ...]] = {
    "x": ("organic_impressions", "engagements", "link_clicks", "profile_visits"),
}


def _stored_extras(connection_id: int, platform_ids: Sequence[str], keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The ``keys`` of the stored ``extra_metrics`` of these posts (one query per ``CHUNK`` posts)."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(platform_ids), CHUNK):
        rows = db.session.execute(
            select(ContentItem.platform_id, ContentItem.extra_metrics).where(
                ContentItem.connection_id == connection_id,
                ContentItem.platform_id.in_(platform_ids[start : start + CHUNK]),
            )
        ).all()
        for platform_id, extras in rows:
            kept = {k: extras[k] for k in keys if isinstance(extras, dict) and k in extras}
            if kept:
                out[platform_id] = kept
    return out


def write_metrics(
    connection_id: int, metrics: Mapping[str, Metrics], followers: int | None, keep: Sequence[str] = ()
) -> dict[str, int]:
    """Fresh numbers of stored posts (no full item from the platform); returns ``{platform_id: id}``.

    ``keep``: extra numbers that a read without them leaves as stored (``KEPT_EXTRAS``)."""
    now = utcnow()
    found: dict[str, int] = {}
    lacking = [pid for pid, values in metrics.items() if keep and not set(keep) & set(values)]
    stored = _stored_extras(connection_id, lacking, keep) if lacking else {}
    for platform_id, values in metrics.items():
        cols = {k: v for k, v in metric_values(values).items() if v is not None}
        extras = {**stored.get(platform_id, {}), **_extras(values)}
        if extras:  # the per-post read's other numbers (an Instagram reel's average watch time)
            cols["extra_metrics"] = extras
        row_id = db.session.execute(
            update(ContentItem)
            .where(ContentItem.connection_id == connection_id, ContentItem.platform_id == platform_id)
            .values(**cols, metrics_updated_at=now, followers_at_measure=followers)
            .returning(ContentItem.id)
        ).scalar_one_or_none()
        if row_id is not None:
            found[platform_id] = row_id
    return found


def write_metric_snapshots(
    day: date, ids: Mapping[str, int], metrics: Mapping[str, Metrics], followers: int | None
) -> int:
    rows = [
        {
            "content_item_id": ids[pid],
            "day": day,
            **metric_values(values),
            "followers": followers,
            "provenance": Provenance.MEASURED.value,
        }
        for pid, values in metrics.items()
        if pid in ids
    ]
    cols = (*METRIC_COLUMNS.values(), "watch_time_seconds", "followers")
    upsert(ContentMetricSnapshot, rows, ("content_item_id", "day"), update_cols=cols)
    return len(rows)


def write_insights(connection_id: int, insights: Sequence[DailyInsight], provenance: str) -> None:
    rows = []
    for insight in insights:
        for metric, value in insight.metrics.items():
            number = as_float(value)
            if number is not None:
                rows.append(
                    {
                        "connection_id": connection_id,
                        "day": insight.day,
                        "metric": str(metric)[:48],
                        "value": number,
                        "provenance": provenance,
                    }
                )
    upsert(
        AccountInsight, rows, ("connection_id", "day", "metric"), update_cols=("value", "provenance"), changed_only=True
    )


def write_raw(connection_id: int, run_id: int | None, calls: Sequence[RawCall]) -> None:
    """The sync's raw answers: one cached plain INSERT executed for all rows (see ``upsert``)."""
    if calls:
        db.session.flush()
        db.session.connection().execute(
            insert(cast(Table, RawResponse.__table__)),
            [
                {
                    "connection_id": connection_id,
                    "sync_run_id": run_id,
                    "at": c.at,
                    "method": c.method,
                    "url": c.url,
                    "status": c.status,
                    "body": c.body,
                }
                for c in calls
            ],
        )


def last_snapshot_days(connection_id: int, since: datetime) -> dict[int, date]:
    """The latest metric snapshot day per post (posts published since ``since``)."""
    rows = (
        db.session.execute(
            select(ContentMetricSnapshot.content_item_id, func.max(ContentMetricSnapshot.day))
            .join(ContentItem, ContentItem.id == ContentMetricSnapshot.content_item_id)
            .where(ContentItem.connection_id == connection_id, ContentItem.published_at >= since)
            .group_by(ContentMetricSnapshot.content_item_id)
        )
        .tuples()
        .all()
    )
    return {item_id: day for item_id, day in rows}


# --------------------------------------------------------------------------- follower history


def daily_nets(connection_id: int, platform: str, *, complete_only: bool = False) -> dict[date, float]:
    """day -> net follower change of that day from the account insights (gained - lost).

    ``complete_only``: only days where every part is stored (a change that is exactly known; a day
    with gains but no losses yet is left out rather than counted as all gains).
    """
    gained_name, lost_name = NET_METRICS[platform]
    names = [n for n in (gained_name, lost_name) if n]
    nets: dict[date, float] = {}
    seen: dict[date, int] = {}
    for day, metric, value in db.session.execute(
        select(AccountInsight.day, AccountInsight.metric, AccountInsight.value).where(
            AccountInsight.connection_id == connection_id, AccountInsight.metric.in_(names)
        )
    ).tuples():
        nets[day] = nets.get(day, 0.0) + (value if metric == gained_name else -value)
        seen[day] = seen.get(day, 0) + 1
    if complete_only:
        return {day: net for day, net in nets.items() if seen[day] == len(names)}
    return nets


def rebuild_history(connection_id: int, platform: str) -> int:
    """Backfill/recompute the follower history before the first measured day from daily net changes.

    Returns the number of days written. Only ``backfilled`` and ``carried`` rows are (re)written.
    """
    if platform not in NET_METRICS:
        return 0
    anchor = db.session.execute(
        select(DailySnapshot.day, DailySnapshot.followers)
        .where(DailySnapshot.connection_id == connection_id, DailySnapshot.provenance == Provenance.MEASURED.value)
        .order_by(DailySnapshot.day)
        .limit(1)
    ).first()
    nets = daily_nets(connection_id, platform)
    if anchor is None or not nets or min(nets) >= anchor.day:
        return 0
    first_known, last_known = min(nets), max(d for d in nets if d <= anchor.day)
    rows = []
    value = float(anchor.followers)
    day = anchor.day
    while day > first_known:
        value -= nets.get(day, 0.0)  # the count at the end of the day before
        day -= timedelta(days=1)
        provenance = Provenance.BACKFILLED if day < last_known else Provenance.CARRIED
        rows.append(
            {
                "connection_id": connection_id,
                "day": day,
                "followers": max(0, int(round(value))),
                "provenance": provenance.value,
                "synced_at": utcnow(),
            }
        )
    # only the days the upsert below would write (new, or backfilled/carried and different), by the same upsert:
    # all of them (up to 730) cost ~10-25 ms of CPU a sync to find unchanged (bench/README.md, "third pass")
    old = select(DailySnapshot.day, DailySnapshot.followers, DailySnapshot.provenance).where(
        DailySnapshot.connection_id == connection_id, DailySnapshot.day < anchor.day, DailySnapshot.day >= first_known
    )
    stored = {d: (f, p) for d, f, p in db.session.execute(old).tuples()}
    redo = (Provenance.BACKFILLED.value, Provenance.CARRIED.value)
    todo = [
        r
        for r in rows
        if (w := stored.get(r["day"])) is None or (w[1] in redo and w != (r["followers"], r["provenance"]))
    ]
    # two comparisons, not IN: an IN list is expanded per execution, which executemany cannot do
    keep = or_(DailySnapshot.provenance == redo[0], DailySnapshot.provenance == redo[1])
    upsert(DailySnapshot, todo, ("connection_id", "day"), ("followers", "provenance"), where=keep, changed_only=True)
    return len(rows)


def first_measured_day(connection_id: int) -> date | None:
    return db.session.execute(
        select(func.min(DailySnapshot.day)).where(
            DailySnapshot.connection_id == connection_id, DailySnapshot.provenance == Provenance.MEASURED.value
        )
    ).scalar_one_or_none()


def to_platform_item(row: ContentItem) -> PItem:
    """A stored post as the adapters take it (for per-post metric calls)."""
    product = {"reel": "REELS", "story": "STORY"}.get(row.kind, "FEED")
    return PItem(
        platform_id=row.platform_id,
        kind=row.kind,  # type: ignore[arg-type]
        published_at=row.published_at,
        extras={"media_product_type": product},
    )
