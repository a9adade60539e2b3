"""Read-only statements run on their own database connection while the caller's thread works.

Why: the portfolio's large reads are independent of each other (today: the whole portfolio's per-client
statement, ``app/stats/portfolio_rows.summaries``, which can also run as runs of clients side by side,
while the request's thread reads the chart's daily sums and the connection problems). On PostgreSQL
each statement runs in its own server process, so sending them from side threads overlaps them on
the server's cores and with the Python of the request: the uncached portfolio costs about its slowest
part instead of the sum of its parts (measured in ``bench/README.md``, "pages").

Plain threads, one per statement, not a pool: a process forked after a pool has started (RQ's
work-horses, a preloading server) inherits the pool's bookkeeping but not its threads, and its
submissions would wait forever. A thread start costs ~0.1 ms, nothing next to the query.

An uncached portfolio request holds up to three database connections at once (its session's and two
aside); SQLAlchemy's default pool (5, plus 10 overflow, per process) covers that for a sync worker.

What this does not do:

- SQLite (the embedded default) runs the statement inline on the caller's session: one file, and an
  in-memory database is private to its connection.
- The side connection sees committed data only, not the caller's uncommitted writes; use it for
  reads of synced history on paths that have written nothing before reading (the portfolio's
  callers: GET pages, the JSON API, report jobs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine, Executable, text

from app.extensions import db

Rows = list[tuple[Any, ...]]


def fetch(
    stmt: Executable, params: Mapping[str, Any] | None = None, *, jit: bool = True, inline: bool = False
) -> Future[Rows]:
    """All rows of ``stmt`` (with ``params``) as plain tuples; ``.result()`` re-raises the statement's error.

    ``inline=True``: run it now on the caller's session, as on SQLite. For reads of a small scope (a
    coach's 50 clients) a side connection, its transaction and its ``SET LOCAL`` cost more than the
    overlap saves (~20 ms of app CPU per portfolio, bench/README.md, issue 21); such statements are
    estimated far below ``jit_above_cost``, so ``jit`` does not apply.

    ``jit=False``: PostgreSQL compiles no JIT code for it (``SET LOCAL jit = off`` in its own
    transaction). A statement over every connection with per-row fallbacks (``app/stats/portfolio_rows.py``)
    is *estimated* above ``jit_above_cost`` although its fallbacks rarely run: at 10,000 clients the
    server spent 3.5 s compiling code for a 60 ms read (bench/README.md, issue 21)."""
    engine = db.engine
    future: Future[Rows] = Future()
    if inline or engine.dialect.name == "sqlite":
        _settle(future, lambda: [tuple(r) for r in db.session.connection().execute(stmt, params)])
        return future
    thread = threading.Thread(
        target=_settle, args=(future, lambda: _run(engine, stmt, params, jit)), name="stats-parallel-read", daemon=True
    )
    thread.start()
    return future


def _run(engine: Engine, stmt: Executable, params: Mapping[str, Any] | None, jit: bool = True) -> Rows:
    with engine.connect() as conn, conn.begin():
        if not jit:  # until this transaction ends; and room to sort 30,000 rows in memory, not on disk
            conn.execute(text("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'"))
        return [tuple(r) for r in conn.execute(stmt, params)]


def _settle(future: Future[Rows], work: Callable[[], Rows]) -> None:
    try:
        future.set_result(work())
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, which re-raises it
        future.set_exception(exc)
