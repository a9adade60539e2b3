"""Reading the declared settings into the app's config: :class:`Config` (the Flask internals plus
``from_env`` and ``defaults``), development's cookie relaxations, the sandbox's built-in apps, and the
database URL spellings accepted."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from app.config.setting import SettingError
from app.config.table import SETTINGS


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
    "TIKTOK_BUSINESS_APP_ID": "sandbox-tiktok-business-app",
    "TIKTOK_BUSINESS_SECRET": "sandbox-tiktok-business-secret",
    "YOUTUBE_CLIENT_ID": "sandbox-google-client",
    "YOUTUBE_CLIENT_SECRET": "sandbox-google-secret",
    "X_CLIENT_ID": "sandbox-x-client",
    "X_CLIENT_SECRET": "sandbox-x-secret",
    "X_API_KEY": "sandbox-x-api-key",
    "X_API_SECRET": "sandbox-x-api-secret",
    "FACEBOOK_APP_ID": "sandbox-fb-app",
    "FACEBOOK_APP_SECRET": "sandbox-fb-secret",
    "LINKEDIN_CLIENT_ID": "sandbox-linkedin-client",
    "LINKEDIN_CLIENT_SECRET": "sandbox-linkedin-secret",
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
