"""X API v2 with OAuth 2.0 (Authorization Code + PKCE), per ``shared/reference/platforms.md`` section 6.

One blueprint, ``bp`` (``sandbox_x``), carries every X route, on ``x.com``/``api.x.com`` and on the legacy
``twitter.com``/``api.twitter.com`` spellings (tweepy calls ``api.twitter.com``):

* :mod:`.errors`: the blueprint, problem envelopes, OAuth errors, injected faults.
* :mod:`.oauth`: authorize (consent), token (code and rotating refresh grants), revoke.
* :mod:`.api`: ``users/me``, ``users/:id/tweets``, ``tweets?ids=`` with rate windows and the monthly cap.
* :mod:`.control`: ``/_sandbox/x/...`` (protected/suspended accounts, the month's post reads).
* :mod:`.compliance`: the app-only token, ``/2/compliance/jobs`` and the signed storage URLs of a job.
"""

from __future__ import annotations

# isort: off
from . import oauth, api, compliance

# isort: on
from .control import bp as control_bp
from .errors import XProblem, bp, fault_response, not_found_path

__all__ = ["XProblem", "api", "compliance", "bp", "control_bp", "fault_response", "not_found_path", "oauth"]
