"""Build a platform adapter from settings: the Flask config, or ``Config.defaults()`` updated with yours.

Every key read here (``PLATFORM_*`` hosts and timeouts, each platform's client id and secret, the
Instagram API version, the scopes and TikTok's PKCE switch) is declared once, with its type, default and
meaning, in ``app/config/table.py`` (``SETTINGS``, group "platforms"); the README's table is generated from it.
Only the client ids and secrets have no default: without them :class:`PlatformNotConfigured` is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from app.models.platforms import CONNECTABLE
from app.platforms.base import PlatformAdapter, parse_scopes
from app.platforms.facebook import DEFAULT_SCOPES as FB_SCOPES
from app.platforms.facebook import FacebookAdapter
from app.platforms.http import PlatformHosts, PlatformHttp, shared_session
from app.platforms.instagram import DEFAULT_SCOPES as IG_SCOPES
from app.platforms.instagram import InstagramAdapter
from app.platforms.linkedin import DEFAULT_SCOPES as LI_SCOPES
from app.platforms.linkedin import ORG_SCOPES as LI_ORG_SCOPES
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.linkedin_comments import WRITE_SCOPE as LI_WRITE_SCOPE
from app.platforms.linkedin_org import ORGANIZATION, LinkedInOrgAdapter
from app.platforms.tiktok import DEFAULT_SCOPES as TT_SCOPES
from app.platforms.tiktok import TikTokAdapter, use_pkce_setting
from app.platforms.tiktok_business import BUSINESS, TikTokBusinessAdapter
from app.platforms.x import DEFAULT_SCOPES as X_SCOPES
from app.platforms.x import XAdapter
from app.platforms.youtube import DEFAULT_SCOPES as YT_SCOPES
from app.platforms.youtube import YouTubeAdapter

__all__ = [
    "BUSINESS_KEYS",
    "CREDENTIAL_KEYS",
    "business_configured",
    "PlatformNotConfigured",
    "configured_platforms",
    "get_adapter",
    "hosts_from_settings",
    "is_configured",
]

#: the settings that must hold a value before a platform can be offered (its OAuth app's id and secret)
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {
    "instagram": ("INSTAGRAM_CLIENT_ID", "INSTAGRAM_CLIENT_SECRET"),
    "tiktok": ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"),
    "youtube": ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET"),
    "x": ("X_CLIENT_ID", "X_CLIENT_SECRET"),
    "facebook": ("FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET"),
    "linkedin": ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET"),
}

#: the API for Business app of TikTok business accounts (optional: without it only personal TikTok
#: accounts connect, through the Display API)
BUSINESS_KEYS: tuple[str, ...] = ("TIKTOK_BUSINESS_APP_ID", "TIKTOK_BUSINESS_SECRET")


class PlatformNotConfigured(ValueError):
    """The platform is unknown or its client credentials are missing from the settings."""


def _overrides(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for entry in str(value).split(","):
        if entry.strip():
            real, sep, other = entry.partition("=")
            if not sep or not real.strip() or not other.strip():
                raise PlatformNotConfigured("PLATFORM_HOST_OVERRIDES entries must be 'real.host=other.host'")
            out[real.strip()] = other.strip()
    return out


def hosts_from_settings(settings: Mapping[str, Any]) -> PlatformHosts:
    """The host mapping: ``PLATFORM_SANDBOX_URL`` and ``PLATFORM_HOST_OVERRIDES``."""
    return PlatformHosts(
        settings.get("PLATFORM_SANDBOX_URL") or None, _overrides(settings.get("PLATFORM_HOST_OVERRIDES"))
    )


def _required(settings: Mapping[str, Any], key: str) -> str:
    value = settings.get(key)
    if not value or not str(value).strip():
        raise PlatformNotConfigured(f"{key} is not set")
    return str(value).strip()


def _scopes(settings: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = settings[key]
    if not value:
        return default
    parsed = parse_scopes(value)
    # keep the configured order for readable authorize URLs
    ordered = [s for s in (value.replace(",", " ").split() if isinstance(value, str) else value) if s in parsed]
    return tuple(dict.fromkeys(ordered))


def _li_org_scopes(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """LinkedIn's Page scopes with ``LINKEDIN_ORGANIZATIONS``, plus ``w_organization_social`` (replying as
    the Page from the inbox) with ``LINKEDIN_PAGE_REPLIES``."""
    if not settings.get("LINKEDIN_ORGANIZATIONS"):
        return ()
    return (*LI_ORG_SCOPES, LI_WRITE_SCOPE) if settings.get("LINKEDIN_PAGE_REPLIES") else LI_ORG_SCOPES


def is_configured(platform: str, settings: Mapping[str, Any]) -> bool:
    """Whether ``platform`` has an adapter and this deployment set its client credentials.

    A platform without them is hidden from the connect page and the filters rather than offered and
    failing (with ``PLATFORM_SANDBOX_URL`` the sandbox's apps fill the blanks, ``app.config.loading``).
    """
    keys = CREDENTIAL_KEYS.get(platform)
    if platform not in CONNECTABLE or not keys:
        return False
    return all(str(settings.get(key) or "").strip() for key in keys)


def business_configured(settings: Mapping[str, Any]) -> bool:
    """Whether TikTok business accounts can be offered: TikTok is set up and so is the Business app."""
    return is_configured("tiktok", settings) and all(str(settings.get(key) or "").strip() for key in BUSINESS_KEYS)


def configured_platforms(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The connectable platforms this deployment can offer, in ``CONNECTABLE`` order."""
    return tuple(p for p in CONNECTABLE if is_configured(p, settings))


def get_adapter(
    platform: str,
    settings: Mapping[str, Any],
    session: requests.Session | None = None,
    *,
    kind: str | None = None,
    account: str | None = None,
) -> PlatformAdapter:
    """The adapter for ``platform`` configured from ``settings``.

    ``kind``: the connection's ``account_type``; a TikTok ``business`` one is read through the API for
    Business (:class:`TikTokBusinessAdapter`, naming ``account``, its ``platform_user_id``, as ``business_id``),
    a LinkedIn ``organization`` one is a Company Page (:class:`LinkedInOrgAdapter`, ``account`` its URN), a
    LinkedIn member's ``account`` is the member's id (its sync then reads no ``userinfo``).

    ``session`` defaults to the process-wide :class:`~app.platforms.http.TimeoutSession` for the
    configured timeouts.

    :raises PlatformNotConfigured: unknown platform or missing client credentials.
    """
    if platform not in CONNECTABLE:
        raise PlatformNotConfigured(f"unknown platform {platform!r}")
    connect = float(settings["PLATFORM_CONNECT_TIMEOUT_SECONDS"])
    read = float(settings["PLATFORM_READ_TIMEOUT_SECONDS"])
    http = PlatformHttp(platform, session or shared_session(connect, read), hosts_from_settings(settings))
    if platform == "instagram":
        return InstagramAdapter(
            http,
            client_id=_required(settings, "INSTAGRAM_CLIENT_ID"),
            client_secret=_required(settings, "INSTAGRAM_CLIENT_SECRET"),
            api_version=str(settings["INSTAGRAM_API_VERSION"]),
            scopes=_scopes(settings, "INSTAGRAM_SCOPES", IG_SCOPES),
        )
    if platform == "facebook":
        return FacebookAdapter(
            http,
            client_id=_required(settings, "FACEBOOK_APP_ID"),
            client_secret=_required(settings, "FACEBOOK_APP_SECRET"),
            api_version=str(settings["FACEBOOK_API_VERSION"]),
            scopes=_scopes(settings, "FACEBOOK_SCOPES", FB_SCOPES),
        )
    if platform == "linkedin":
        member = LinkedInAdapter(
            http,
            client_id=_required(settings, "LINKEDIN_CLIENT_ID"),
            client_secret=_required(settings, "LINKEDIN_CLIENT_SECRET"),
            scopes=_scopes(settings, "LINKEDIN_SCOPES", LI_SCOPES),
            api_version=str(settings.get("LINKEDIN_API_VERSION") or "202610"),
            org_scopes=_li_org_scopes(settings),
            # a member connection's own id: its sync reads no ``userinfo`` (``LinkedInAdapter.sync_profile``)
            member=account if kind != ORGANIZATION else None,
        )
        # a Company Page connection: the member's grant, the Page's numbers (``account``: its URN)
        return LinkedInOrgAdapter(member, account) if kind == ORGANIZATION and account else member
    if platform == "tiktok" and kind == BUSINESS:
        return TikTokBusinessAdapter(
            http,
            app_id=_required(settings, "TIKTOK_BUSINESS_APP_ID"),
            secret=_required(settings, "TIKTOK_BUSINESS_SECRET"),
            business_id=account,
        )
    if platform == "tiktok":
        return TikTokAdapter(
            http,
            client_key=_required(settings, "TIKTOK_CLIENT_KEY"),
            client_secret=_required(settings, "TIKTOK_CLIENT_SECRET"),
            scopes=_scopes(settings, "TIKTOK_SCOPES", TT_SCOPES),
            use_pkce=use_pkce_setting(settings["TIKTOK_USE_PKCE"]),
        )
    if platform == "x":
        return XAdapter(
            http,
            client_id=_required(settings, "X_CLIENT_ID"),
            client_secret=_required(settings, "X_CLIENT_SECRET"),
            scopes=_scopes(settings, "X_SCOPES", X_SCOPES),
            cap_reset_day=int(settings.get("X_CAP_RESET_DAY") or 1),
        )
    return YouTubeAdapter(
        http,
        client_id=_required(settings, "YOUTUBE_CLIENT_ID"),
        client_secret=_required(settings, "YOUTUBE_CLIENT_SECRET"),
        scopes=_scopes(settings, "YOUTUBE_SCOPES", YT_SCOPES),
    )
