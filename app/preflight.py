"""Checks a serving process (web or worker) runs before it accepts work; it refuses to start on failure.

They live outside ``create_app`` because they read the database, and ``flask db upgrade`` must work on
an empty one. ``wsgi.py`` and ``worker.py`` call ``run_preflight``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import inspect, select

from app.errors import ConfigurationError


def stored_key_ids(app: Flask) -> set[str]:
    """The key ids named by every stored token envelope (empty before the first migration)."""
    from app.extensions import db
    from app.models import Connection

    with app.app_context():
        if not inspect(db.engine).has_table("connections"):
            return set()
        rows = db.session.execute(select(Connection.access_token_enc, Connection.refresh_token_enc)).all()
        db.session.remove()
    ring = app.extensions["token_keyring"]
    return {ring.key_id_of(value) for row in rows for value in row if value}


def check_stored_keys(app: Flask) -> None:
    """T4: stored tokens encrypted under a key the ring lacks stop the process instead of failing later."""
    from app.security.crypto import KeyringError

    try:
        app.extensions["token_keyring"].check_covers(stored_key_ids(app))
    except KeyringError as exc:
        raise ConfigurationError(str(exc)) from None


def check_redirect_base(app: Flask) -> None:
    """O3: in production the OAuth redirect base (and so every redirect URI) must be https."""
    if app.config.get("APP_ENV") != "production" or app.config.get("PLATFORM_SANDBOX_URL"):
        return
    base = app.config.get("OAUTH_REDIRECT_BASE") or app.config.get("PUBLIC_BASE_URL") or ""
    if urlsplit(base).scheme != "https":
        raise ConfigurationError(
            f"OAuth redirect URIs must be https in production (base is {base!r}); "
            "set PUBLIC_BASE_URL or OAUTH_REDIRECT_BASE to the https address"
        )


def run_preflight(app: Flask) -> None:
    """:raises ConfigurationError: the process must not start."""
    check_redirect_base(app)
    check_stored_keys(app)
