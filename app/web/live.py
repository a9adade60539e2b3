"""The live-version check open pages poll (``app.services.live``): no login lookup, no database.

``GET /live/<token>?v=<version>``: 204 while the version is unchanged (htmx swaps nothing); 200 with
the poller carrying the new version and ``HX-Trigger: live-changed`` when it moved (the page's regions
listening for it re-fetch themselves); 286 (htmx: stop polling) for a forged or expired token, e.g. a
page left open for more than a day.
"""

from __future__ import annotations

from flask import Blueprint, Response, make_response, request, url_for
from itsdangerous import BadSignature
from markupsafe import Markup

from app.services import live

bp = Blueprint("live", __name__)
POLLER = '<div id="live-poller" hidden hx-get="{url}" hx-trigger="every {seconds}s" hx-swap="outerHTML"></div>'


def poller_markup(token: str, version: str) -> Markup:
    """The hidden element a page polls with (pages embed it through the ``live_poller`` template global;
    the check answers with it when the version moved). No template render: Flask-Login's template
    context would load the user, a query the check must not make."""
    url = url_for("live.version_check", token=token, v=version)
    return Markup(POLLER).format(url=url, seconds=live.POLL_SECONDS)  # noqa: S704 - a constant; url escaped


@bp.get("/live/<token>")
def version_check(token: str) -> Response:
    try:
        clients = live.clients_of(token)
    except BadSignature:
        return Response(status=286)
    current = live.version(clients)
    if request.args.get("v") == current:
        return Response(status=204)
    response = make_response(str(poller_markup(token, current)))
    response.headers["HX-Trigger"] = "live-changed"
    return response
