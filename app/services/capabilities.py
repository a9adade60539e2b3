"""Single-use links and request throttles: the mechanics invites and password resets share.

A link token is ``itsdangerous``-signed ``{id, nonce}`` under a purpose salt; only the SHA-256 of the
nonce is stored, so a database leak yields no usable link. A throttle counts a table's recent rows per
email and per IP and says how long to wait before the next one is allowed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_nonce() -> tuple[str, str]:
    """A fresh link secret and the hash to store for it."""
    nonce = secrets.token_urlsafe(32)
    return nonce, sha256(nonce)


def link_token(salt: str, row_id: int, nonce: str) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps({"i": row_id, "n": nonce})


def read_link_token(salt: str, token: str) -> tuple[int, str] | None:
    """``(row id, nonce)`` of a token signed under ``salt``, or None when forged or malformed."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).loads(token)
        return int(data["i"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def nonce_matches(stored_hash: str | None, nonce: str) -> bool:
    return stored_hash is not None and secrets.compare_digest(stored_hash, sha256(nonce))


def throttle_wait(at: Any, checks: Iterable[tuple[Any, Any, int]], window: timedelta, *where: Any) -> int:
    """Seconds until another row may be added, 0 when allowed: for each ``(column, value, cap)``, ``cap``
    rows with that value since ``window`` ago (their time in ``at``, narrowed by ``where``) block until
    the oldest of them leaves the window."""
    since = utcnow() - window
    waits = []
    for column, value, cap in checks:
        recent = (
            db.session.execute(select(at).where(column == value, at >= since, *where).order_by(at.desc()).limit(cap))
            .scalars()
            .all()
        )
        if len(recent) >= cap:
            waits.append(int((min(recent) + window - utcnow()).total_seconds()) + 1)
    return max([0, *waits])
