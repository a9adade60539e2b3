from flask import Blueprint

bp = Blueprint("connections", __name__)

from app.web.connections import routes  # noqa: E402,F401
