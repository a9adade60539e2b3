"""Instagram API with Instagram Login: OAuth, graph.instagram.com nodes, edges and insights.

One blueprint, ``bp`` (``sandbox_instagram``), carries every Instagram route; the modules split it along
the platform's own surfaces:

* :mod:`.shared`: the blueprint, the Graph error envelope, the pieces more than one surface uses.
* :mod:`.oauth`: Instagram Login (consent, code exchange, long-lived token, refresh) and the token check.
* :mod:`.graph`: the ``graph.instagram.com`` router, the IGUser / IGMedia nodes and media paging.
* :mod:`.insights`: media and account insights.
* :mod:`.usage`: the usage headers, the call throttle and injected faults.

Importing :mod:`.graph` registers the routes (it imports :mod:`.oauth`, so the OAuth routes register first,
in the order the single module had). The app uses ``bp``, ``add_usage_headers``, ``unknown_path`` and
``fault_response`` from here.
"""

from __future__ import annotations

from .graph import media_edge, media_node, split_fields, user_node
from .insights import media_insights, user_insights
from .oauth import SCOPES, check_token
from .shared import GraphError, bp, graph_error_response, unknown_path
from .usage import add_usage_headers, fault_response

__all__ = [
    "SCOPES",
    "GraphError",
    "add_usage_headers",
    "bp",
    "check_token",
    "fault_response",
    "graph_error_response",
    "media_edge",
    "media_insights",
    "media_node",
    "split_fields",
    "unknown_path",
    "user_insights",
    "user_node",
]
