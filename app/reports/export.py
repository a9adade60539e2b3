"""CSV and JSON exports of snapshots and content for a period and platforms, streamed (W8, W9, J9).

Rows are read with ``yield_per`` and written as they come, so a five-year range never sits in memory.
CSV: ``QUOTE_ALL``; every string cell starting with ``= + - @``, TAB, CR, LF or NUL gets a leading
``'``; numbers are written unmodified. The first line says when the data was last synced.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Connection, ContentItem, DailySnapshot
from app.stats.engagement import interactions, post_rate
from app.stats.query import BadQuery, StatsQuery, day_start
from app.stats.scoping import connections_query

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
DATASETS = ("snapshots", "content")
SNAPSHOT_COLUMNS = (
    "client_id",
    "platform",
    "username",
    "day",
    "followers",
    "reported_followers",
    "followers_low",
    "followers_high",
    "following",
    "media_count",
    "total_likes",
    "total_views",
    "provenance",
)
CONTENT_COLUMNS = (
    "client_id",
    "platform",
    "username",
    "content_id",
    "published_at",
    "kind",
    "caption",
    "permalink",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "reach",
    "interactions",
    "followers_at_measure",
    "engagement_rate",
    "hashtags",
)


def safe_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet will run as a formula; numbers pass through unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _conns(client_ids: Sequence[int], q: StatsQuery) -> list[Connection]:
    return list(db.session.execute(connections_query(list(client_ids), q)).scalars())


def as_of(client_ids: Sequence[int], q: StatsQuery) -> datetime | None:
    """The last successful sync of the exported connections ("data as of", J9)."""
    ids = [c.id for c in _conns(client_ids, q)]
    if not ids:
        return None
    value: datetime | None = db.session.execute(
        select(func.max(Connection.last_sync_at)).where(Connection.id.in_(ids))
    ).scalar()
    return value


def snapshot_rows(client_ids: Sequence[int], q: StatsQuery) -> Iterator[dict[str, Any]]:
    conns = {c.id: c for c in _conns(client_ids, q)}
    if not conns:
        return
    stmt = select(DailySnapshot).where(DailySnapshot.connection_id.in_(list(conns)), DailySnapshot.day <= q.period.end)
    if q.period.start is not None:
        stmt = stmt.where(DailySnapshot.day > q.period.start)
    stmt = stmt.order_by(DailySnapshot.connection_id, DailySnapshot.day).execution_options(yield_per=1000)
    for s in db.session.execute(stmt).scalars():
        c = conns[s.connection_id]
        yield {
            "client_id": c.client_id,
            "platform": c.platform,
            "username": c.username,
            "day": s.day.isoformat(),
            "followers": s.followers,
            "reported_followers": s.reported_followers,
            "followers_low": s.followers_low,
            "followers_high": s.followers_high,
            "following": s.following,
            "media_count": s.media_count,
            "total_likes": s.total_likes,
            "total_views": s.total_views,
            "provenance": s.provenance,
        }


def content_rows(client_ids: Sequence[int], q: StatsQuery) -> Iterator[dict[str, Any]]:
    conns = {c.id: c for c in _conns(client_ids, q)}
    if not conns:
        return
    from datetime import timedelta

    stmt = select(ContentItem).where(
        ContentItem.connection_id.in_(list(conns)),
        ContentItem.published_at < day_start(q.period.end) + timedelta(days=1),
    )
    if q.period.start is not None:
        stmt = stmt.where(ContentItem.published_at >= day_start(q.period.start) + timedelta(days=1))
    stmt = stmt.order_by(ContentItem.published_at, ContentItem.id).execution_options(yield_per=1000)
    for i in db.session.execute(stmt).scalars():
        c = conns[i.connection_id]
        yield {
            "client_id": c.client_id,
            "platform": c.platform,
            "username": c.username,
            "content_id": i.id,
            "published_at": i.published_at.isoformat(),
            "kind": i.kind,
            "caption": i.title or i.caption or "",
            "permalink": i.permalink,
            "views": i.views,
            "likes": i.likes,
            "comments": i.comments,
            "shares": i.shares,
            "saves": i.saves,
            "reach": i.reach,
            "interactions": interactions(i, c.platform),
            "followers_at_measure": i.followers_at_measure,
            "engagement_rate": post_rate(i, c.platform),
            "hashtags": " ".join(i.hashtags or []),
        }


def parse_dataset(raw: str | None) -> str:
    value = (raw or "snapshots").strip()
    if value not in DATASETS:
        raise BadQuery(f"Unknown dataset: use one of {', '.join(DATASETS)}.")
    return value


def parse_format(raw: str | None) -> str:
    value = (raw or "csv").strip()
    if value not in ("csv", "json"):
        raise BadQuery("Unknown format: use csv or json.")
    return value


def csv_stream(dataset: str, rows: Iterator[dict[str, Any]], data_as_of: datetime | None) -> Iterator[str]:
    columns = SNAPSHOT_COLUMNS if dataset == "snapshots" else CONTENT_COLUMNS
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([f"data as of {data_as_of.isoformat() if data_as_of else 'never synced'}"])
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(row[c]) for c in columns])
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def json_stream(meta: dict[str, Any], dataset: str, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    head = json.dumps(meta)[:-1]
    yield head + f', "dataset": "{dataset}", "rows": ['
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(row)
    yield "]}"


def filename(scope: str, dataset: str, q: StatsQuery, ext: str) -> str:
    start = q.period.start.isoformat() if q.period.start else "all"
    return f"{scope}-{dataset}-{start}-{q.period.end.isoformat()}.{ext}"


def download(chunks: Iterator[str], name: str, mimetype: str) -> Response:
    """A streamed attachment whose file name is built by the server (W9)."""
    ascii_name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    resp = Response(stream_with_context(chunks), mimetype=mimetype)
    resp.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(ascii_name)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def export_response(client_ids: Sequence[int], q: StatsQuery, fmt: str, dataset: str, scope: str) -> Response:
    """The export for these clients: CSV or JSON, snapshots or content, streamed."""
    stamp = as_of(client_ids, q)
    rows = snapshot_rows(client_ids, q) if dataset == "snapshots" else content_rows(client_ids, q)
    if fmt == "csv":
        return download(csv_stream(dataset, rows, stamp), filename(scope, dataset, q, "csv"), "text/csv")
    meta = {
        "data_as_of": stamp.isoformat() if stamp else None,
        "period": {"start": q.period.start.isoformat() if q.period.start else None, "end": q.period.end.isoformat()},
        "platforms": list(q.platforms),
    }
    return download(json_stream(meta, dataset, rows), filename(scope, dataset, q, "json"), "application/json")


def visible_ids(visible: Any) -> list[int]:
    return list(db.session.execute(visible.with_only_columns(Client.id)).scalars())
