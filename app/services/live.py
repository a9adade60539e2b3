"""Live pages: a data version per client in Redis, bumped when its numbers change, polled by open pages.

An open overview, platform page, CRM client page or portfolio polls ``/live/<token>?v=<version>`` every
few seconds. The token (signed, 24 h) names the clients the page shows (or the whole portfolio); the
check reads one Redis key per client and answers 204 while nothing changed, so an idle page costs no
database query at all (``bench/live.py``). A sync that finishes, or new alerts, bump the version and the
page re-fetches its own body through HTMX (no reload, focus and scroll kept).

Redis down: the versions read as 0 and nothing updates live; the pages still work and say so (the
queue banner). A bump that cannot reach Redis is logged and dropped: the next one catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.redis_conn import get_redis

log = logging.getLogger(__name__)

PREFIX = "portal:live:client:"
ALL = "portal:live:all"  # any client's numbers changed: what the whole portfolio polls
TTL_SECONDS = 40 * 86400
TOKEN_MAX_AGE = 24 * 3600
POLL_SECONDS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="live-version")


def token_for(client_ids: Sequence[int] | None) -> str:
    """A token for the clients a page shows (``None``: the whole portfolio)."""
    return _serializer().dumps({"c": None if client_ids is None else sorted(set(client_ids))})


def clients_of(token: str) -> list[int] | None:
    """The clients a token names (``None``: all). :raises BadSignature: forged, altered or expired."""
    payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    clients = payload.get("c") if isinstance(payload, dict) else []
    if clients is None:
        return None
    if not isinstance(clients, list) or not all(isinstance(c, int) for c in clients) or len(clients) > 1000:
        raise BadSignature("bad live token payload")
    return clients


def version(client_ids: Sequence[int] | None) -> str:
    """The current data version of those clients (``None``: all); "0" when Redis has none or is down."""
    keys = [ALL] if client_ids is None else [f"{PREFIX}{c}" for c in client_ids]
    if not keys:
        return "0"
    try:
        values = get_redis().mget(keys)
    except redis.RedisError:
        return "0"
    return "-".join((v.decode() if isinstance(v, bytes) else str(v)) if v else "0" for v in values)  # type: ignore[union-attr]


def poller(client_ids: Sequence[int] | None) -> dict[str, str]:
    """What a page needs to poll its data version (the ``live_poller`` template global, app/web/live.py);
    its ``version`` is the one a page keys its other cached answers on (read once)."""
    return {"token": token_for(client_ids), "version": version(client_ids)}


def bump(client_ids: Iterable[int]) -> None:
    """The numbers of these clients changed: bump their versions and the portfolio's."""
    ids = sorted(set(client_ids))
    if not ids:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        bump_commands(pipe, ids)
        pipe.execute()
    except redis.RedisError as exc:
        bump_failed(ids, exc)


def bump_commands(pipe: Any, client_ids: Sequence[int]) -> int:
    """Queue :func:`bump`'s commands for ``client_ids`` (sorted, distinct) on the caller's pipeline, which
    sends them with its own (the sync job's follow-ups: one round trip); returns how many results they
    add. The ``2 * i``-th result is client ``i``'s new version, as :func:`version` reads it."""
    for c in client_ids:
        pipe.incr(f"{PREFIX}{c}")
        pipe.expire(f"{PREFIX}{c}", TTL_SECONDS)
    pipe.incr(ALL)
    pipe.expire(ALL, TTL_SECONDS)
    return 2 * len(client_ids) + 2


def bump_failed(client_ids: Sequence[int], exc: Exception) -> None:
    """A bump that could not reach Redis is logged and dropped: the next one catches up."""
    log.warning("live version not bumped: %s", exc, extra={"event": "live_bump_failed", "clients": list(client_ids)})


def bump_connection(connection_id: int) -> None:
    """A connection's sync finished: its client's pages show new numbers."""
    client_id = db.session.execute(select(Connection.client_id).where(Connection.id == connection_id)).scalar()
    if client_id is not None:
        bump([client_id])


def bump_clients_of(connection_ids: Iterable[int]) -> None:
    """Comments arrived for these connections: their clients' open pages re-fetch."""
    ids = sorted(set(connection_ids))
    if ids:
        bump(db.session.execute(select(Connection.client_id).where(Connection.id.in_(ids))).scalars())
