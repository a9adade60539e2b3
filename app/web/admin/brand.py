"""CRM, admins only: the business's brand (name, logo, colour, email sender, footer, report format).

A plain multipart form (a file upload): success redirects back with a flashed message (and the
colour's adjustment, if any); an error renders the form again with the field marked and the typed
values kept, status 422. An upload over the request limit is answered the same way, not with a 413 page.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import ValidationFailed
from app.models import Role
from app.services import brand
from app.web.access import role_required
from app.web.admin import bp
from app.web.htmx import render

FIELDS = ("business_name", "primary_colour", "sender_name", "reply_to", "footer", "locale")


def _page(status: int = 200, error: str | None = None, field: str | None = None, **values: str) -> ResponseReturnValue:
    b = brand.current()
    current = {
        "business_name": b.name if b.custom and b.name != brand.DEFAULT_NAME else "",
        "primary_colour": b.colour if b.custom else "",
        "sender_name": b.sender_name or "",
        "reply_to": b.reply_to or "",
        "footer": b.footer or "",
        "locale": b.locale or "",
    }
    current.update(values)
    return render(
        "admin/brand.html",
        status=status,
        error=error,
        error_field=field,
        v=current,
        b=b,
        locales=brand.LOCALES,
        defaults={"name": brand.DEFAULT_NAME, "colour": brand.DEFAULT_COLOUR, "footer": brand.DEFAULT_FOOTER},
        limits={"bytes": brand.MAX_LOGO_BYTES // 1024, "side": brand.MAX_LOGO_SIDE},
    )


@bp.route("/brand", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def brand_page() -> ResponseReturnValue:
    """The brand settings; applied to the portal header, emails, report pages, PDFs and the share page."""
    if request.method in ("GET", "HEAD"):
        return _page()
    try:
        upload = request.files.get("logo")
        form = {k: request.form.get(k, "") for k in FIELDS}
    except RequestEntityTooLarge:
        return _page(413, "The upload is too large: a logo is at most 1 MB.", "logo")
    data = upload.stream.read(brand.MAX_LOGO_BYTES + 1) if upload is not None and upload.filename else None
    try:
        saved = brand.save(**form, logo=data, remove_logo=request.form.get("remove_logo") == "1")
    except ValidationFailed as exc:
        return _page(422, exc.message, exc.field, **form)
    flash("Brand saved.", "success")
    for note in saved.notes:
        flash(note, "warning")
    return redirect(url_for("admin.brand_page"), 303)
