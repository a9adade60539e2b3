"""The platform vocabulary, defined once: ids, the names people read, and which ones can be connected.

It sits with the models, at the bottom of the layers, because everything above speaks it: the stats
accept a platform filter, goals and alerts name one, the adapters (``app.platforms.registry``) exist
for the connectable ones, and pages and emails show the display names. Before, three modules kept
their own lists with different contents.

* ``PLATFORMS``: every id the analytics understand (a filter, a goal, a snapshot's account). Some
  have no adapter yet; their history can still be imported, filtered and charted.
* ``CONNECTABLE``: the ids with an adapter and an OAuth flow today (a card per platform on the
  Connected Accounts page, the connect and callback paths, token refresh).
* ``PLATFORM_NAMES``: the display name of each id, in ``PLATFORMS`` order (menus list them so).
* ``COMMENT_PLATFORMS``: the connectable ids whose comments the app reads and answers (docs/comments.md);
  on TikTok only a *business* account's (API for Business), never a personal one's (Display API); on
  LinkedIn only a Company Page's (``r_organization_social``), never a member's (``r_member_social``).
"""

from __future__ import annotations

from typing import Final

PLATFORM_NAMES: Final[dict[str, str]] = {
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "x": "X",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
}
PLATFORMS: Final[tuple[str, ...]] = tuple(PLATFORM_NAMES)
CONNECTABLE: Final[tuple[str, ...]] = ("instagram", "tiktok", "youtube", "x", "facebook", "linkedin")
COMMENT_PLATFORMS: Final[tuple[str, ...]] = ("instagram", "youtube", "facebook", "tiktok", "linkedin")
