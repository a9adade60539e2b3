"""All or nothing for a service call: a failure rolls the session back before the error leaves.

A service that raises (``ValidationFailed`` for a form, ``Conflict``, anything unexpected) must not
leave half-applied changes in the request's session, where the next commit of the same request (or a
lazy refresh while the error page renders) would pick them up. Views used to call
``db.session.rollback()`` themselves after catching the error; the rule belongs where the writes are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Roll the session back when ``fn`` raises, then re-raise (its own commit ends a success)."""

    @wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return wrapped


def dialect_insert(model: Any) -> Any:
    """An INSERT of the session's dialect, which has ``on_conflict_do_nothing`` (SQLite and PostgreSQL):
    the database, not Python, decides which of two concurrent writers adds a row with a unique key."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    return insert(model)  # pragma: no cover - only SQLite and PostgreSQL are supported
