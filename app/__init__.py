"""Application factory: configuration, extensions, blueprints. Nothing happens at import time."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config
from app.errors import ConfigurationError

__all__ = ["PROJECT_ROOT", "ConfigurationError", "create_app"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` None reads the environment; a mapping or class overrides everything."""
    settings: dict[str, Any] = Config.defaults()
    if config is None:
        settings.update(Config.from_env())
    elif isinstance(config, Mapping):
        settings.update(config)
    else:
        settings.update({k: getattr(config, k) for k in dir(config) if k.isupper()})

    instance_path = str(Path(settings["INSTANCE_PATH"] or PROJECT_ROOT / "instance").resolve())
    settings["INSTANCE_PATH"] = instance_path  # readers get the folder actually used
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    _fill_generated_secrets(app)
    _init_keyring(app)
    from app.config import sandbox_client_defaults

    app.config.update(sandbox_client_defaults(app.config))
    _configure_database_url(app)
    _configure_logging(app)
    if int(app.config["TRUST_PROXY_HOPS"]) > 0:
        hops = int(app.config["TRUST_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    _init_extensions(app)
    from app.web import register_web

    register_web(app)
    from app.cli import register_cli

    register_cli(app)
    return app


def _fill_generated_secrets(app: Flask) -> None:
    """Secrets not given in the environment are generated once into ``instance/secrets.json`` in
    development and tests; production refuses to start without them (T4).

    Why production refuses: a generated token key in production is a new key. Every stored token then
    fails to decrypt (and stays dead after the real key comes back), and on two hosts web and worker
    would each generate their own secrets.
    """
    from app.instance_secrets import GENERATE_COMMAND, load_or_create

    wanted = []
    if not app.config.get("SECRET_KEY"):
        wanted.append("SECRET_KEY")
    keys, active = app.config.get("TOKEN_ENCRYPTION_KEYS"), app.config.get("TOKEN_ENCRYPTION_ACTIVE_KEY")
    if not keys and not active:
        wanted.append("TOKEN_ENCRYPTION_KEYS")
    elif not keys or not active:
        raise ConfigurationError("TOKEN_ENCRYPTION_KEYS and TOKEN_ENCRYPTION_ACTIVE_KEY must be set together")
    if wanted and app.config.get("APP_ENV") == "production":
        missing = " and ".join(wanted)
        raise ConfigurationError(
            f"{missing} not set: production needs its secrets from the environment, the same in every "
            f"process (web, worker, cron). Generate them once with `{GENERATE_COMMAND}` and keep them in "
            "your secret manager; for a local try-out set APP_ENV=development (secrets are then generated "
            "into instance/secrets.json)."
        )
    if wanted:
        generated = load_or_create(app.instance_path, wanted)
        for name in wanted:
            if name == "TOKEN_ENCRYPTION_KEYS":
                app.config["TOKEN_ENCRYPTION_KEYS"] = generated["TOKEN_ENCRYPTION_KEYS"]
                app.config["TOKEN_ENCRYPTION_ACTIVE_KEY"] = generated["TOKEN_ENCRYPTION_ACTIVE_KEY"]
            else:
                app.config[name] = generated[name]
    if len(str(app.config["SECRET_KEY"])) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters of random data")


def _init_keyring(app: Flask) -> None:
    """Build the token keyring now so a missing or malformed key stops the process at start (T4).

    Stored in ``app.extensions["token_keyring"]``; there is never a plaintext fallback.
    """
    from app.security.crypto import Keyring, KeyringError

    try:
        keyring = Keyring.from_env_values(
            app.config.get("TOKEN_ENCRYPTION_KEYS"), app.config.get("TOKEN_ENCRYPTION_ACTIVE_KEY")
        )
    except KeyringError as exc:
        raise ConfigurationError(f"token encryption keys: {exc}") from None
    if str(app.config.get("SECRET_KEY")) in str(app.config.get("TOKEN_ENCRYPTION_KEYS")):
        raise ConfigurationError("SECRET_KEY must differ from the token encryption keys (T6)")
    app.extensions["token_keyring"] = keyring


def _configure_database_url(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'portal.sqlite3'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Web, worker and cron share the file: wait for locks instead of failing at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on, WAL so readers never block the writer (SQLite only)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _configure_logging(app: Flask) -> None:
    """Entry points configure logging before the app exists (``wsgi.py``, ``worker.py``, gunicorn); a
    process that did not (a script, a benchmark) gets the same configuration here, once."""
    from app.logging_setup import configure_logging

    configure_logging(app.config.get("LOG_LEVEL"), if_unconfigured=True, hooks=False)


def _init_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # server-side sessions (UserSession) do the real work
    login_manager.login_view = "auth.login"

    from app.web.access import load_user_from_session, unauthorized

    login_manager.user_loader(load_user_from_session)
    login_manager.unauthorized_handler(unauthorized)
    logging.getLogger(__name__).debug("extensions ready")
