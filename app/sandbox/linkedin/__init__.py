"""LinkedIn: 3-legged OAuth on ``www.linkedin.com`` and the versioned REST API on ``api.linkedin.com``.

One blueprint, ``bp`` (``sandbox_linkedin``), split along LinkedIn's own surfaces:

* :mod:`.errors`: the blueprint, the error envelopes, the versioned-header / token / scope / daily
  limit gate, injected faults.
* :mod:`.restli`: Rest.li 2.0 query values read from the raw query string.
* :mod:`.oauth`: authorization (consent page), accessToken, introspectToken, revoke.
* :mod:`.member`: userinfo, memberFollowersCount, memberCreatorPostAnalytics, posts.
* :mod:`.organization`: organizationAcls, networkSizes, follower and share statistics (ADMINISTRATOR).
* :mod:`.page_statistics`: organizationPageStatistics, the standardized-data geo and industry names;
  :mod:`.page_truths`: a Page's audience and page-view truths.
* :mod:`.comments`: ``socialActions/{urn}/comments`` (a Page's or a member's post comments, replies, writes).
* :mod:`.orgs`: the Company Pages of the world, ``organizations/{id}`` and the control API (``control_bp``).
"""

from __future__ import annotations

# isort: off
from . import oauth, member, organization, orgs, page_statistics, comments

# isort: on
from .errors import LinkedInError, api_error, bp, fault_response, oauth_error, unknown_path
from .oauth import SCOPES
from .orgs import control_bp

__all__ = [
    "SCOPES",
    "LinkedInError",
    "api_error",
    "bp",
    "comments",
    "control_bp",
    "fault_response",
    "member",
    "oauth",
    "oauth_error",
    "organization",
    "page_statistics",
    "orgs",
    "unknown_path",
]
