"""All or nothing for a service call: a failure rolls the session back before the error leaves.

A service that raises (``ValidationFailed`` for a form, ``Conflict``, anything unexpected) must not
leave half-applied changes in the request's session, where the next commit of the same request (or a
lazy refresh while the error page renders) would pick them up. Views used to call
``db.session.rollback()`` themselves after catching the error; the rule belongs where the writes are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

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
