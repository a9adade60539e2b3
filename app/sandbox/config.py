"""Sandbox settings: defaults, environment overrides, registered OAuth clients."""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULT_CLIENTS: dict[str, list[dict[str, Any]]] = {
    "instagram": [{"client_id": "sandbox-ig-app", "client_secret": "sandbox-ig-secret", "redirect_uris": []}],
    "facebook": [{"client_id": "sandbox-fb-app", "client_secret": "sandbox-fb-secret", "redirect_uris": []}],
    "tiktok": [{"client_id": "sandbox-tiktok-key", "client_secret": "sandbox-tiktok-secret", "redirect_uris": []}],
    # an API for Business app (the Accounts API): business accounts' audience and insights
    "tiktok_business": [
        {
            "client_id": "sandbox-tiktok-business-app",
            "client_secret": "sandbox-tiktok-business-secret",
            "redirect_uris": [],
        }
    ],
    "youtube": [
        {
            "client_id": "sandbox-google-client.apps.googleusercontent.com",
            "client_secret": "sandbox-google-secret",
            "redirect_uris": [],
        },
        {"client_id": "sandbox-google-client", "client_secret": "sandbox-google-secret", "redirect_uris": []},
    ],
    # ``api_key`` / ``api_secret``: the app's consumer keys, for the app-only bearer token (compliance jobs)
    "x": [
        {
            "client_id": "sandbox-x-client",
            "client_secret": "sandbox-x-secret",
            "api_key": "sandbox-x-api-key",
            "api_secret": "sandbox-x-api-secret",
            "redirect_uris": [],
        }
    ],
    # ``programmatic_refresh``: LinkedIn issues refresh tokens only to apps approved for it
    "linkedin": [
        {
            "client_id": "sandbox-linkedin-client",
            "client_secret": "sandbox-linkedin-secret",
            "redirect_uris": [],
            "programmatic_refresh": True,
        }
    ],
}

DEFAULTS: dict[str, Any] = {
    "SEED": 0,
    # None: the clock follows real time; "YYYY-MM-DD" or an ISO datetime: frozen there (midday UTC for a date)
    "TODAY": None,
    "CLIENTS": DEFAULT_CLIENTS,
    # Instagram
    "IG_TOKEN_RESPONSE_SHAPE": "flat",  # "flat" | "wrapped" ({"data":[{...}]})
    "IG_SHORT_TOKEN_TTL": 3600,
    "IG_LONG_TOKEN_TTL": 60 * 86400,
    "IG_REFRESH_MIN_AGE": 86400,
    "IG_MEDIA_EXTRA_COUNT_FIELDS": False,  # view_count/saved_count/shares_count/reposts_count (unconfirmed)
    "IG_COMMENT_MAX_CHARS": 2200,  # reply / comment length cap (undocumented; the app allows about 2,200)
    "IG_WEBHOOK_URL": None,  # where new comments are delivered as Instagram ``comments`` webhooks
    "META_APP_HOURLY_LIMIT": 4800,  # calls per rolling hour per app -> code 4
    "META_BUC_DAILY_LIMIT": 48000,  # calls per rolling 24 h per IG account -> code 80002
    # Facebook Pages: ``page_follows_city`` is unconfirmed (platforms-deep-data.md 2.4); False answers it
    # as a removed metric. Page demographics need this many followers (historically 100, unconfirmed)
    "FB_PAGE_FOLLOWS_CITY": True,
    "FB_DEMOGRAPHICS_MIN_FOLLOWERS": 100,
    "META_VERSIONS": {  # version -> expiry date (None: not set yet)
        "v20.0": "2026-09-24",
        "v21.0": "2027-01-21",
        "v22.0": "2027-05-20",
        "v23.0": "2027-10-08",
        "v24.0": "2028-02-18",
        "v25.0": "2028-07-29",
        "v26.0": None,
    },
    # TikTok
    "TIKTOK_ACCESS_TTL": 7200,
    "TIKTOK_REFRESH_TTL": 180 * 86400,
    "TIKTOK_RATE_LIMIT_PER_MIN": 600,
    "TIKTOK_SHORT_PAGES": False,  # sometimes return fewer than max_count with has_more=true
    "TIKTOK_BUSINESS_ACCESS_TTL": 86400,  # API for Business: 24 h access, 1 year refresh (rotating)
    "TIKTOK_BUSINESS_REFRESH_TTL": 365 * 86400,
    "TIKTOK_BUSINESS_RATE_LIMIT_PER_MIN": 600,  # about 10 QPS per app (unconfirmed)
    "TIKTOK_BUSINESS_AUDIENCE_MIN_FOLLOWERS": 100,  # no audience split below this (unconfirmed)
    # Google / YouTube
    "GOOGLE_ACCESS_TTL": 3599,
    "GOOGLE_TESTING_MODE": False,  # refresh tokens die after 7 days
    "GOOGLE_TESTING_REFRESH_TTL": 7 * 86400,
    "YT_QUOTA_LIMITS": {"default": 10000, "search": 100, "batchGetStats": 10000},
    "YT_ANALYTICS_LAG_DAYS": 3,  # last complete day = Pacific today - 3 (48-72 h)
    "YT_ROUND_SUBSCRIBERS": True,  # subscriberCount truncated to 3 significant figures
    "YT_COMMENT_MAX_CHARS": 10000,  # commentTextTooLong above this
    "YT_ANALYTICS_REQUIRES_YOUTUBE_SCOPE": True,
    # X (API v2)
    "X_ACCESS_TTL": 7200,
    "X_CODE_TTL": 30,  # X's authorization code lives 30 seconds
    "X_POST_FIELD_NAMES": False,  # True: emit the v2.167 spellings (post_count, repost_count, ...)
    "X_RATE_LIMITS": {"users/me": 75, "users/tweets": 900, "tweets": 5000},  # per user per 15 min
    "X_APP_RATE_LIMITS": {"users/tweets": 10000, "tweets": 3500},  # per app per 15 min
    "X_MONTHLY_POST_READS": 3_000_000,  # per app and UTC calendar month (the pay-per-use cap)
    "X_CAP_RESET_DAY": 1,  # the billing cycle starts on this day of the month
    # LinkedIn (platforms.md section 7)
    "LI_ACCESS_TTL": 60 * 86400,
    "LI_REFRESH_TTL": 365 * 86400,  # fixed from the first authorization: a refresh does not extend it
    "LI_VERSION_MONTHS": 12,  # a YYYYMM version is served from its month until about a year later (the 16th)
    "LI_APP_DAILY_LIMIT": 100_000,  # calls per endpoint per app per UTC day -> 429 (real numbers unpublished)
    "LI_MEMBER_DAILY_LIMIT": 500,  # calls per endpoint per member token per UTC day -> 429
    # OAuth
    "CODE_TTL": 600,
    # faults / latency
    "FAULT_TIMEOUT_SECONDS": 30.0,
    "LATENCY_MS": 0,
    # world
    "DEMO": False,
    "STATE_FILE": None,
    "CALL_LOG_MAX": 20000,
}


def _env_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults < SANDBOX_* environment variables < the ``config`` argument."""
    cfg: dict[str, Any] = json.loads(json.dumps(DEFAULTS))
    env = os.environ
    if env.get("SANDBOX_DEMO"):
        cfg["DEMO"] = _env_bool(env["SANDBOX_DEMO"])
    if env.get("SANDBOX_STATE_FILE"):
        cfg["STATE_FILE"] = env["SANDBOX_STATE_FILE"]
    if env.get("SANDBOX_SEED"):
        cfg["SEED"] = int(env["SANDBOX_SEED"])
    if env.get("SANDBOX_TODAY"):
        cfg["TODAY"] = env["SANDBOX_TODAY"]
    if env.get("SANDBOX_CLIENTS"):
        cfg["CLIENTS"] = json.loads(env["SANDBOX_CLIENTS"])
    if env.get("SANDBOX_REDIRECT_URIS"):
        uris = [u.strip() for u in env["SANDBOX_REDIRECT_URIS"].split(",") if u.strip()]
        for clients in cfg["CLIENTS"].values():
            for client in clients:
                client["redirect_uris"] = list(uris)
    if env.get("SANDBOX_GOOGLE_TESTING_MODE"):
        cfg["GOOGLE_TESTING_MODE"] = _env_bool(env["SANDBOX_GOOGLE_TESTING_MODE"])
    if config:
        cfg.update(config)
    return cfg
