from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.web.api import (  # noqa: E402,F401
    alerts,
    analytics,
    audience,
    comments,
    connection_settings,
    content,
    fans,
    ops,
    platform_callbacks,
    reports,
    social,
    tactics,
)
