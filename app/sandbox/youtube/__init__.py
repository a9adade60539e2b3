"""Google OAuth 2.0, YouTube Data API v3 and YouTube Analytics API v2.

One blueprint, ``bp`` (``sandbox_youtube``), carries every Google and YouTube route; the modules split it
along Google's own surfaces:

* :mod:`.errors`: the blueprint, Google's error envelope, the 404 answer and injected faults.
* :mod:`.auth`: the scopes, the bearer-token and scope check and the quota charge every API call makes.
* :mod:`.oauth`: Google OAuth (consent, token, revoke, tokeninfo).
* :mod:`.data_api`: Data API v3 channels, playlistItems, videos, videos:batchGetStats and the shared
  request plumbing (parts, paging, etags).
* :mod:`.search_comments`: Data API v3 search.
* :mod:`.comments`: Data API v3 commentThreads and comments (list, insert, setModerationStatus, delete).
* :mod:`.analytics`: the Analytics API v2 reports.

The imports below register the routes in the order the single module had (OAuth, Data API, Analytics).
The app uses ``bp``, ``not_found_page`` and ``fault_response`` from here.
"""

from __future__ import annotations

# isort: off
# The route modules first, in the order the single module registered its routes.
from . import oauth, data_api, search_comments, comments, analytics

# isort: on
from .auth import ANALYTICS_SCOPES, DATA_SCOPES, KNOWN_SCOPES, authenticate, charge
from .data_api import channel_item, etag, playlist_item, thumbnails, video_item
from .errors import GoogleError, auth_error, bp, fault_response, google_error_body, not_found_page, quota_error

__all__ = [
    "analytics",
    "data_api",
    "oauth",
    "search_comments",
    "comments",
    "ANALYTICS_SCOPES",
    "DATA_SCOPES",
    "KNOWN_SCOPES",
    "GoogleError",
    "auth_error",
    "authenticate",
    "bp",
    "channel_item",
    "charge",
    "etag",
    "fault_response",
    "google_error_body",
    "not_found_page",
    "playlist_item",
    "quota_error",
    "thumbnails",
    "video_item",
]
