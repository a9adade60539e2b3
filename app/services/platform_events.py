"""What the platforms tell us about an account: Meta's deauthorize and data-deletion callbacks and
TikTok's webhooks (W10, D4).

Every message is verified before it is read (HMAC-SHA256 with the app secret, constant-time compare,
a freshness window). A removed app means the tokens go at once (the platform has already killed them);
a data-deletion request is recorded once, answered with a confirmation code, and carried out by a job
(``app.jobs.connections.process_data_deletion``) that deletes the account's history.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import current_app
from sqlalchemy import and_, delete, or_, select

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Connection, ConnectionStatus, DataDeletionRequest
from app.models.base import utcnow
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.tokens import wipe_tokens

TIKTOK_SIGNATURE_TOLERANCE = 300
#: a pending deletion request this old with no job in RQ lost it (its first retry comes after 30 s)
DELETION_STUCK_AFTER = timedelta(minutes=10)

log = logging.getLogger(__name__)


class BadSignature(ServiceError):
    status = 400
    code = "bad_signature"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_signed_request(signed_request: str, secret: str, now: float | None = None) -> dict[str, Any]:
    """Verify Meta's ``signed_request`` (HMAC-SHA256 over the encoded payload, constant-time compare).

    :raises BadSignature: malformed, wrong algorithm, bad signature, or issued more than a day ago.
    """
    try:
        sig_b64, payload_b64 = signed_request.split(".", 1)
        sig = _b64url_decode(sig_b64)
        data = json.loads(_b64url_decode(payload_b64))
    except (ValueError, TypeError):
        raise BadSignature("Malformed signed_request.") from None
    expected = hmac.new(secret.encode(), payload_b64.encode("ascii", "ignore"), hashlib.sha256).digest()
    if (
        not isinstance(data, dict)
        or str(data.get("algorithm", "")).upper() != "HMAC-SHA256"
        or not hmac.compare_digest(sig, expected)
    ):
        raise BadSignature("Invalid signature.")
    issued = data.get("issued_at")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise BadSignature("signed_request without issued_at.")  # no age, no replay window
    if (now or time.time()) - issued > 86400:
        raise BadSignature("Stale signed_request.")
    if not data.get("user_id"):
        raise BadSignature("signed_request without user_id.")
    return data


def _of_account(platform: str, platform_user_id: str) -> Any:
    """The connections of a platform account, or (Facebook) of the Pages the named person granted."""
    return and_(
        Connection.platform == platform,
        or_(Connection.platform_user_id == platform_user_id, Connection.grantor_id == platform_user_id),
    )


def _platform_removed(platform: str, platform_user_id: str) -> int:
    """The user removed our app at the platform: mark revoked and delete the tokens (no revoke call)."""
    rows = (
        db.session.execute(
            select(Connection).where(_of_account(platform, platform_user_id), Connection.disconnected_at.is_(None))
        )
        .scalars()
        .all()
    )
    for conn in rows:
        wipe_tokens(conn)
        conn.status = ConnectionStatus.REVOKED.value
        conn.last_error = "Access was removed at the platform. Reconnect to continue."
    db.session.commit()
    return len(rows)


#: the app secret that signs each Meta app's callbacks (Instagram Login and Facebook Login are two apps)
META_SECRETS = {"instagram": "INSTAGRAM_CLIENT_SECRET", "facebook": "FACEBOOK_APP_SECRET"}


def _meta_user(signed_request: str, platform: str) -> str:
    secret = current_app.config.get(META_SECRETS[platform]) or ""
    if not secret:
        raise BadSignature(f"{platform.capitalize()} is not configured.")
    return str(parse_signed_request(signed_request, secret)["user_id"])


def meta_deauthorize(signed_request: str, platform: str = "instagram") -> int:
    """Meta deauthorize callback: verified, then the connection is marked revoked; idempotent.
    Facebook names the person: every Page connection they granted is marked."""
    return _platform_removed(platform, _meta_user(signed_request, platform))


def meta_data_deletion(signed_request: str, platform: str = "instagram") -> DataDeletionRequest:
    """Meta data-deletion callback: one request row per account (same code on a repeat), job enqueued."""
    return request_data_deletion(platform, _meta_user(signed_request, platform))


def request_data_deletion(platform: str, platform_user_id: str) -> DataDeletionRequest:
    """Record (once) and enqueue the deletion of everything tied to a platform account (D4)."""
    existing = db.session.execute(
        select(DataDeletionRequest).where(
            DataDeletionRequest.platform == platform,
            DataDeletionRequest.platform_user_id == platform_user_id,
            DataDeletionRequest.status == "pending",
        )
    ).scalar_one_or_none()
    if existing is None:
        existing = DataDeletionRequest(
            platform=platform, platform_user_id=platform_user_id[:128], confirmation_code=secrets.token_hex(12)
        )
        db.session.add(existing)
        # tokens go at once; the history goes in the job
        _platform_removed(platform, platform_user_id)
        db.session.commit()
    dispatch.enqueue_data_deletion(existing.id)
    return existing


def process_data_deletion(request_id: int) -> int:
    """Delete every connection (and, through cascades, its history) of the account; idempotent."""
    req = db.session.get(DataDeletionRequest, request_id)
    if req is None or req.status == "completed":
        return 0
    result = db.session.execute(delete(Connection).where(_of_account(req.platform, req.platform_user_id)))
    req.connections_deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    req.status = "completed"
    req.completed_at = utcnow()
    db.session.commit()
    return req.connections_deleted


def requeue_lost_deletions(now: datetime | None = None) -> int:
    """Pending deletion requests older than ``DELETION_STUCK_AFTER`` with no job left in RQ (Redis lost
    it, or its retries were spent) are queued again under a new job id; returns how many. A request
    whose job (or an earlier sweep's) is queued, scheduled or running is left to it; Redis down: next time."""
    now = now or utcnow()
    pending = list(
        db.session.execute(
            select(DataDeletionRequest.id)
            .where(DataDeletionRequest.status == "pending", DataDeletionRequest.created_at < now - DELETION_STUCK_AFTER)
            .order_by(DataDeletionRequest.id)
        ).scalars()
    )
    if not pending:
        return 0
    live = dispatch.live_job_ids("default")
    if live is None:
        return 0
    requeued = 0
    for request_id in pending:
        first = dispatch.data_deletion_job_id(request_id)
        if any(j == first or j.startswith(f"{first}-again-") for j in live):
            continue
        log.warning("deletion job lost: queued again", extra={"event": "deletion_requeued", "request_id": request_id})
        if dispatch.enqueue_data_deletion(request_id, again=str(int(now.timestamp()))):
            requeued += 1
    return requeued


def deletion_status(code: str) -> DataDeletionRequest:
    """:raises NotFound: unknown confirmation code."""
    req = db.session.execute(
        select(DataDeletionRequest).where(DataDeletionRequest.confirmation_code == code[:64])
    ).scalar_one_or_none()
    if req is None:
        raise NotFound("No deletion request with that confirmation code.")
    return req


def _first_delivery(stamp: str, raw_body: bytes) -> bool:
    """False for a replay of the same signed message inside its validity window (``t`` + body).

    The actions are idempotent, so a replay could only repeat them; still, a message is acted on once.
    Redis down: acted on (idempotent), never refused.
    """
    digest = hashlib.sha256(stamp.encode() + b"." + raw_body).hexdigest()
    try:
        fresh = get_redis().set(f"webhook:tiktok:{digest}", "1", nx=True, ex=2 * TIKTOK_SIGNATURE_TOLERANCE)
    except (redis.RedisError, OSError):
        return True
    return bool(fresh)


def tiktok_webhook(raw_body: bytes, signature_header: str | None, now: float | None = None) -> str:
    """Verify ``TikTok-Signature: t=..,s=..`` (HMAC-SHA256 of ``t.body`` with the client secret) and act.

    ``authorization.removed``: the token is already dead at TikTok; mark the connection revoked and
    delete its tokens and data (TikTok's policy: delete or stop using the data). Other events are
    acknowledged and ignored.

    :raises BadSignature: missing/invalid/stale signature or an unreadable body.
    """
    secret = current_app.config.get("TIKTOK_CLIENT_SECRET") or ""
    parts = dict(p.split("=", 1) for p in (signature_header or "").split(",") if "=" in p)
    stamp, sig = parts.get("t", ""), parts.get("s", "")
    if not secret or not stamp.isdigit() or not sig:
        raise BadSignature("Missing signature.")
    if abs((now or time.time()) - int(stamp)) > TIKTOK_SIGNATURE_TOLERANCE:
        raise BadSignature("Stale signature.")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig.strip().lower()):
        raise BadSignature("Invalid signature.")
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise BadSignature("Unreadable body.") from None
    if not _first_delivery(stamp, raw_body):
        return "duplicate"
    if not isinstance(event, dict) or event.get("event") != "authorization.removed":
        return "ignored"
    open_id = str(event.get("user_openid") or "")
    if not open_id:
        return "ignored"
    try:
        reason = int(json.loads(event.get("content") or "{}").get("reason", 0))
    except (ValueError, TypeError, AttributeError):
        reason = 0
    if reason == 2:  # the TikTok account was deleted: its data goes too
        request_data_deletion("tiktok", open_id)
        return "deleted"
    _platform_removed("tiktok", open_id)  # stop: tokens deleted, history kept for a reconnect
    return "removed"
