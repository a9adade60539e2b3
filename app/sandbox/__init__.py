"""The platform sandbox: a faithful local Instagram, Facebook Pages, TikTok, YouTube, X and LinkedIn, served
over real HTTP.

``flask --app app.sandbox run`` serves it. It never imports the rest of ``app`` and the product code never
imports it (only the CLI and tests do). See docs/sandbox.md.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote_plus

from flask import Flask, Response, g, request

from . import common
from .config import load_config
from .state import SandboxState
from .util import iso_z


def create_app(config: dict[str, Any] | None = None) -> Flask:  # noqa: C901 - wiring
    """Build the sandbox app. ``config`` overrides the defaults of ``app.sandbox.config.DEFAULTS``."""
    from . import (  # noqa: F401
        control,
        control_audience,
        control_comments,
        control_replicas,
        facebook,
        faults,
        fb_webhooks,  # noqa: F401 - Page feed webhooks: control routes and the change listener
        ig_webhooks,
        instagram,
        linkedin,
        media,
        tiktok,
        x,
        youtube,
    )

    cfg = load_config(config)
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.url_map.strict_slashes = False
    state = SandboxState.create(cfg)
    app.extensions["sandbox"] = state
    loaded = state.load()
    if cfg.get("DEMO") and not loaded:
        from .demo import seed_world

        seed_world(state)
        state.save()

    app.register_blueprint(control.bp)  # with control_comments' routes
    app.register_blueprint(media.bp)
    app.register_blueprint(instagram.bp)
    app.register_blueprint(facebook.bp)
    app.register_blueprint(tiktok.bp)
    app.register_blueprint(youtube.bp)
    app.register_blueprint(x.bp)
    app.register_blueprint(x.control_bp)
    app.register_blueprint(linkedin.bp)
    app.register_blueprint(linkedin.control_bp)

    @app.before_request
    def _platform_call() -> Response | None:
        platform = common.platform_of(request.path)
        g.platform = platform
        g.quota_units = 0
        g.quota_bucket = None
        if platform is None:
            return None
        with state.lock:
            g.call_epoch = state.call_epoch
            latency = state.latency_ms
            query = unquote_plus(request.query_string.decode("latin-1"))
            fault = state.take_fault(platform, request.path, common.is_consent(request.path), query)
        if latency > 0:
            time.sleep(latency / 1000)
        if fault is None:
            return None
        if fault["kind"] == "timeout":
            seconds = fault.get("seconds")
            time.sleep(float(seconds if seconds is not None else cfg["FAULT_TIMEOUT_SECONDS"]))
            return None
        g.fault = fault["kind"]
        return faults.render(platform, fault, request.path)

    @app.after_request
    def _after(response: Response) -> Response:
        platform = getattr(g, "platform", None)
        if platform is None:
            return response
        if request.path.startswith(("/graph.instagram.com/", "/graph.facebook.com/")):
            instagram.add_usage_headers(response)
        with state.lock:
            if getattr(g, "call_epoch", None) != state.call_epoch:
                return response  # begun before the log was cleared (see ``SandboxState.call_epoch``)
            entry = {
                "at": iso_z(state.now()),
                "platform": platform,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "quota_units": int(getattr(g, "quota_units", 0) or 0),
            }
            if getattr(g, "quota_bucket", None):
                entry["quota_bucket"] = g.quota_bucket
            if getattr(g, "fault", None):
                entry["fault"] = g.fault
            state.log_call(entry)
        return response

    @app.errorhandler(404)
    def _not_found(_err: Exception) -> Response:
        return _unknown_path(404)

    @app.errorhandler(405)
    def _bad_method(_err: Exception) -> Response:
        return _unknown_path(405)

    return app


def _unknown_path(status: int) -> Response:
    from . import instagram, linkedin, tiktok, x, youtube

    platform = common.platform_of(request.path)
    if platform == "linkedin":
        return linkedin.unknown_path(status)
    if platform in ("instagram", "facebook") and request.path.startswith(
        ("/graph.instagram.com/", "/graph.facebook.com/")
    ):
        return instagram.unknown_path()
    if platform == "tiktok":
        return tiktok.unknown_path(status)
    if platform == "youtube":
        return youtube.not_found_page(status)
    if platform == "x":
        return x.not_found_path()
    if request.path.startswith("/_sandbox"):
        return common.control_error(
            status,
            "not_found" if status == 404 else "method_not_allowed",
            f"{request.method} {request.path} is not part of the control API",
        )
    return common.control_error(status, "not_found", f"no such path: {request.path}")
