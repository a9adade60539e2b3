"""CRM: one post of a client, as the client sees it on their post page (read-only for the coach).

Only staff who may see the client (``clients.get_client_for``: admins, and the client's own coach) get
it; another client's post under this client's address is a 404, like a client the coach does not have.
"""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from app.services import clients, post_page
from app.web.admin import bp
from app.web.htmx import render


@bp.get("/clients/<int:client_id>/content/<int:content_id>")
def client_post(client_id: int, content_id: int) -> Response:
    """The post's reach, saves, shares, curve, watch time and retention, and its tactics (read-only)."""
    client = clients.get_client_for(current_user, client_id)
    return render("portal/content.html", client=client, staff=True, **post_page.context(client, content_id))
