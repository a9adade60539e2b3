"""Facebook Pages through Facebook Login: the dialog, ``graph.facebook.com`` tokens, Pages, posts, insights.

One blueprint, ``bp`` (``sandbox_facebook``). The Graph pieces Instagram already has (the error envelope,
version resolution, the ``fields`` splitter, usage headers) are reused from :mod:`..instagram`, not copied:

* :mod:`.oauth`: the Login dialog (consent form contract as the others), code exchange, the long-lived
  user token, the token check for user and Page tokens.
* :mod:`.graph`: the ``graph.facebook.com`` router: ``me``, ``me/accounts`` (Page tokens), ``me/permissions``,
  the Page node, ``posts`` / ``published_posts`` / ``feed`` with cursor paging, the post node.
* :mod:`.insights`: Page and post insights, deprecated metrics answered with Meta's code-100 error, and
  the Page's followers by country and city (``page_follows_country`` / ``_city``, lifetime) from its
  audience truth.

A sandbox Facebook account is a Page (``account_type`` ``PAGE``) or a person who manages none
(``PERSON``); Pages with the same ``owner`` are managed by one person, whose login lists them all.
"""

from __future__ import annotations

from .graph import fault_response
from .shared import bp

__all__ = ["bp", "fault_response"]
