"""The Facebook blueprint and its Graph error handler (Flask error handlers are per blueprint)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..instagram.shared import GraphError, graph_error_response

bp = Blueprint("sandbox_facebook", __name__)

#: Facebook Login permissions the sandbox app may ask (platforms.md §3.1, platforms-deep-data.md §2.1)
SCOPES = (
    "public_profile",
    "pages_show_list",
    "pages_read_engagement",
    "read_insights",
    "business_management",
    "pages_manage_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",  # subscribing a Page to webhooks (``/{page-id}/subscribed_apps``)
)
SHOW_LIST = "pages_show_list"
READ_ENGAGEMENT = "pages_read_engagement"
READ_INSIGHTS = "read_insights"
MANAGE_ENGAGEMENT = "pages_manage_engagement"
MANAGE_METADATA = "pages_manage_metadata"


@bp.errorhandler(GraphError)
def _graph_error(err: GraphError) -> Response:
    return graph_error_response(err)
