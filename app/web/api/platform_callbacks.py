"""Signed callbacks from the platforms (W10): the only CSRF-exempt routes; the signature is the check.

Meta deauthorize / data deletion (``signed_request``, HMAC-SHA256 with the Instagram app secret) and
TikTok webhooks (``TikTok-Signature``, HMAC-SHA256 with the client secret, stale timestamps refused).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from app.extensions import csrf
from app.services import platform_events
from app.services.urls import absolute_url
from app.web.api import bp


@bp.post("/platforms/instagram/deauthorize")
@csrf.exempt
def meta_deauthorize() -> Response:
    platform_events.meta_deauthorize(request.form.get("signed_request", ""))
    return jsonify(status="ok")


@bp.post("/platforms/instagram/data-deletion")
@csrf.exempt
def meta_data_deletion() -> Response:
    """Answer as Meta expects: ``{"url": <status page>, "confirmation_code": ...}``."""
    req = platform_events.meta_data_deletion(request.form.get("signed_request", ""))
    return jsonify(
        url=absolute_url("connections.deletion_status", code=req.confirmation_code),
        confirmation_code=req.confirmation_code,
    )


@bp.post("/platforms/tiktok/webhook")
@csrf.exempt
def tiktok_webhook() -> Response:
    result = platform_events.tiktok_webhook(request.get_data(cache=True), request.headers.get("TikTok-Signature"))
    return jsonify(status=result)
