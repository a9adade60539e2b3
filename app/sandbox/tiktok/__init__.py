"""TikTok Login Kit v2 (authorize, token, revoke) and Display API v2 (user info, video list and query).

One blueprint, ``bp`` (``sandbox_tiktok``), carries every TikTok route; the modules split it along
TikTok's own surfaces:

* :mod:`.errors`: the blueprint, the Display API and Login Kit error formats, injected faults.
* :mod:`.oauth`: Login Kit (consent, token, revoke).
* :mod:`.display_api`: the Display API (user info, video list, video query).
* :mod:`.business`: the API for Business, Accounts API (a business account's tokens, audience, insights).

The imports below register the routes in the order the single module had (Login Kit, then Display API).
The app uses ``bp``, ``api_error`` and ``fault_response`` from here.
"""

from __future__ import annotations

# isort: off
# The route modules first, in the order the single module registered its routes.
from . import oauth, display_api, business

# isort: on
from .display_api import ok, video_object
from .errors import TikTokError, api_error, bp, fault_response, oauth_error
from .oauth import SCOPES

__all__ = [
    "business",
    "display_api",
    "oauth",
    "SCOPES",
    "TikTokError",
    "api_error",
    "bp",
    "fault_response",
    "oauth_error",
    "ok",
    "video_object",
]
