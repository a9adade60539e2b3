"""TikTok Login Kit v2 (authorize, token, revoke) and Display API v2 (user info, video list and query).

One blueprint, ``bp`` (``sandbox_tiktok``), carries every TikTok route; the modules split it along
TikTok's own surfaces:

* :mod:`.errors`: the blueprint, the Display API and Login Kit error formats, injected faults.
* :mod:`.oauth`: Login Kit (consent, token, revoke).
* :mod:`.display_api`: the Display API (user info, video list, video query).
* :mod:`.business`: the API for Business, Accounts API (a business account's tokens, audience, insights).
* :mod:`.business_comments`: the API for Business comment list, reply list and reply create.

The imports below register the routes in the order the single module had (Login Kit, then Display API).
The app uses ``bp``, ``api_error`` and ``fault_response`` from here.
"""

from __future__ import annotations

# isort: off
# The route modules first, in the order the single module registered its routes.
from . import oauth, display_api, business, business_comments

# isort: on
from typing import Any

from flask import Response, request

from . import business as _business
from .display_api import ok, video_object
from .errors import TikTokError, api_error, bp, oauth_error
from .errors import fault_response as _display_fault
from .oauth import SCOPES

__all__ = [
    "business",
    "business_comments",
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


def fault_response(fault: dict[str, Any], path: str) -> Response:
    """An injected fault in the format of the surface called (API for Business, or Login Kit / Display)."""
    if path.startswith("/business-api.tiktok.com/"):
        return _business.fault_response(fault, path)
    return _display_fault(fault, path)


def unknown_path(status: int) -> Response:
    """A path no TikTok surface has, in the format of the host called (API for Business or Display API)."""
    if request.path.startswith("/business-api.tiktok.com/"):
        return _business.unknown_path(status)
    return api_error(
        "invalid_params" if status == 405 else "not_found",
        "The requested path is not supported.",
        404 if status == 404 else 405,
    )
