from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.web.portal import analytics, routes  # noqa: E402,F401
