from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.web.api import alerts, analytics, comments, fans, platform_callbacks, reports, social, tactics  # noqa: E402,F401
