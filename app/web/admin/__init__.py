"""The coach CRM: one module per resource; staff only, enforced for the whole blueprint."""

from flask import Blueprint

from app.web.access import require_staff

bp = Blueprint("admin", __name__)
bp.before_request(require_staff)

from app.web.admin import (  # noqa: E402,F401
    alerts,
    brand,
    client_care,
    client_posts,
    clients,
    deliverables,
    impact,
    ops,
    portfolio,
    reports,
    sync,
    tactics,
    users,
)
