"""The client's "link your accounts" page switch (docs/fans.md); the fans themselves are on the platform pages."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.services import clients, fan_links
from app.web.access import client_required
from app.web.portal import bp


@bp.post("/portal/fans/link-page")
@client_required()
def fan_link_page() -> ResponseReturnValue:
    """Turn the public page on or off; back to the platform page it was asked from (PRG)."""
    client = clients.own_client(current_user)
    if request.form.get("action") == "off":
        fan_links.turn_off(client)
        flash(
            "The link page is off: its address no longer works. Links fans made stay until they delete them.", "success"
        )
    else:
        fan_links.page_for_client(client, create=True)
        flash("The link page is on: share its address with your fans.", "success")
    platform = request.form.get("platform")
    target = platform if platform in fan_links.LINK_PLATFORMS else "instagram"
    return redirect(url_for("portal.platform_page", platform=target) + "#fans-h", 303)
