"""Platform adapters: one per platform behind one typed interface; no database or request access."""

from app.platforms.base import (
    ContentItem,
    DailyInsight,
    PlatformAdapter,
    Profile,
    TokenSet,
    make_pkce_pair,
    pkce_challenge,
)
from app.platforms.errors import (
    AccessRevoked,
    BadResponse,
    InvalidMetric,
    InvalidRequest,
    PlatformError,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.registry import PlatformNotConfigured, get_adapter

__all__ = [
    "AccessRevoked",
    "BadResponse",
    "ContentItem",
    "DailyInsight",
    "InvalidMetric",
    "InvalidRequest",
    "PlatformAdapter",
    "PlatformError",
    "PlatformNotConfigured",
    "PlatformUnavailable",
    "Profile",
    "QuotaExceeded",
    "RateLimited",
    "ScopeMissing",
    "TokenExpired",
    "TokenSet",
    "get_adapter",
    "make_pkce_pair",
    "pkce_challenge",
]
