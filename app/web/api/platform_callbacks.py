"""Signed callbacks from the platforms (W10): the only CSRF-exempt routes; the signature is the check.

Meta deauthorize / data deletion (``signed_request``, HMAC-SHA256 with the Instagram app secret) and
TikTok webhooks (``TikTok-Signature``, HMAC-SHA256 with the client secret, stale timestamps refused),
Instagram comment webhooks (``X-Hub-Signature-256``, HMAC-SHA256 with the Instagram app secret, deduplicated),
Facebook Page ``feed`` webhooks (the same header, with the Facebook app secret).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from app.extensions import csrf
from app.services import comment_webhooks, live, page_webhooks, platform_events
from app.services.urls import absolute_url
from app.sync import audience as audience_sync
from app.sync import comments as comment_sync
from app.sync import page_webhooks as page_sync
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


@bp.post("/platforms/facebook/deauthorize")
@csrf.exempt
def facebook_deauthorize() -> Response:
    """Facebook Login's deauthorize callback (signed with the Facebook app secret; names the person)."""
    platform_events.meta_deauthorize(request.form.get("signed_request", ""), "facebook")
    return jsonify(status="ok")


@bp.post("/platforms/facebook/data-deletion")
@csrf.exempt
def facebook_data_deletion() -> Response:
    """Facebook Login's data-deletion callback: the same answer as Instagram's."""
    req = platform_events.meta_data_deletion(request.form.get("signed_request", ""), "facebook")
    return jsonify(
        url=absolute_url("connections.deletion_status", code=req.confirmation_code),
        confirmation_code=req.confirmation_code,
    )


@bp.post("/platforms/tiktok/webhook")
@csrf.exempt
def tiktok_webhook() -> Response:
    result = platform_events.tiktok_webhook(request.get_data(cache=True), request.headers.get("TikTok-Signature"))
    return jsonify(status=result)


@bp.get("/platforms/instagram/webhook")
def instagram_webhook_verify() -> Response:
    """Meta's subscription check: echo ``hub.challenge`` for our verify token (400 otherwise)."""
    return Response(comment_webhooks.verify_subscription(request.args), mimetype="text/plain")


@bp.post("/platforms/instagram/webhook")
@csrf.exempt
def instagram_webhook() -> Response:
    """Comment and story_insights webhooks: signature checked, duplicates acknowledged without acting,
    comments and story numbers stored."""
    raw = request.get_data(cache=True)
    items = comment_webhooks.parse_delivery(raw, request.headers.get("X-Hub-Signature-256"))
    if items is None:
        return jsonify(status="duplicate")
    stored = comment_sync.ingest_webhook(items)
    live.bump_clients_of([i.connection_id for i in items])
    stories = audience_sync.ingest_story_webhook(raw)  # story_insights, about an hour after expiry
    return jsonify(status="ok", stored=stored, **({"stories": stories} if stories else {}))


@bp.get("/platforms/facebook/webhook")
def facebook_webhook_verify() -> Response:
    """Meta's subscription check for the Page ``feed`` callback (the deployment's one verify token)."""
    return Response(comment_webhooks.verify_subscription(request.args), mimetype="text/plain")


@bp.post("/platforms/facebook/webhook")
@csrf.exempt
def facebook_webhook() -> Response:
    """Page ``feed`` changes: comments into the inbox, removed posts out of the store; the rest counted."""
    delivery = page_webhooks.parse_delivery(request.get_data(cache=True), request.headers.get("X-Hub-Signature-256"))
    if delivery is None:
        return jsonify(status="duplicate")
    counts = page_sync.ingest_feed(delivery.changes)
    live.bump_clients_of(sorted({c.connection_id for c in delivery.changes}))
    return jsonify(status="ok", **counts, ignored=delivery.ignored, unknown_pages=delivery.unknown_pages)
