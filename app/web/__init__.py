"""Blueprints and request-wide hooks."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register every blueprint with its URL prefix, plus request ids, headers, template helpers and error
    handlers."""
    from app.web import errors, fan_link, headers, health, live, request_id, site, templating
    from app.web.admin import bp as admin_bp
    from app.web.api import bp as api_bp
    from app.web.auth import bp as auth_bp
    from app.web.connections import bp as connections_bp
    from app.web.portal import bp as portal_bp
    from app.web.reports import bp as reports_bp
    from app.web.settings import bp as settings_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(connections_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(fan_link.bp)
    request_id.init_app(app)
    headers.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
