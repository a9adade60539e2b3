from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.web.portal import analytics, fans, inbox, notifications, routes  # noqa: E402,F401
