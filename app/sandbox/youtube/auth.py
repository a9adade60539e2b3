"""The Google scopes, and the gate every YouTube API call passes: bearer token, scopes, quota.

:func:`authenticate` reads the access token (``Authorization: Bearer``, or the ``access_token`` /
``oauth_token`` query parameter) and raises Google's 401/403 for a missing, invalid or under-scoped
token; :func:`charge` books the call's quota units against the client (and raises ``quotaExceeded`` over
the configured limit). The Data API (:mod:`.data_api`, :mod:`.search_comments`) and the Analytics API
(:mod:`.analytics`) both use them; :mod:`.oauth` validates requested scopes against ``KNOWN_SCOPES``.
"""

from __future__ import annotations

from flask import g, request

from ..common import state
from ..state import Token
from .errors import GoogleError, auth_error, quota_error

YT = "https://www.googleapis.com/auth/youtube"
YT_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
YT_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
YTA = "https://www.googleapis.com/auth/yt-analytics.readonly"
YTA_MONEY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
KNOWN_SCOPES = (
    YT,
    YT_READONLY,
    YT_FORCE_SSL,
    YTA,
    YTA_MONEY,
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)
DATA_SCOPES = (YT, YT_READONLY, YT_FORCE_SSL)
ANALYTICS_SCOPES = (YTA, YTA_MONEY)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.args.get("access_token") or request.args.get("oauth_token")


def authenticate(scopes: tuple[str, ...], extra: tuple[str, ...] = ()) -> Token:
    st = state()
    value = _bearer()
    if not value:
        raise GoogleError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "required",
            location="Authorization",
            location_type="header",
            status_text="UNAUTHENTICATED",
        )
    tok = st.tokens.get(value)
    if tok is None or tok.kind != "access" or tok.platform != "youtube" or st.token_status(tok) != "ok":
        raise auth_error()
    have = set(tok.scopes)
    if not have & set(scopes) or any(not have & set(group) for group in ([extra] if extra else [])):
        raise GoogleError(
            403,
            "Request had insufficient authentication scopes.",
            "insufficientPermissions",
            status_text="PERMISSION_DENIED",
        )
    return tok


def charge(tok: Token, bucket: str, units: int = 1) -> None:
    st = state()
    limit = st.cfg["YT_QUOTA_LIMITS"].get(bucket)
    if limit is not None and st.quota_used(tok.client_id, bucket) + units > limit:
        raise quota_error(bucket)
    st.charge(tok.client_id, bucket, units)
    g.quota_units = units if bucket != "analytics" else 0
    g.quota_bucket = bucket
