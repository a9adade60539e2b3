"""Service status shown to users: an honest banner when the queue (Redis) is unreachable.

Pages render from the database either way; only actions that queue work (refresh, reports) cannot run.
The check is cached for a few seconds per process so a dead Redis does not slow every page down.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from app.redis_conn import redis_available

CHECK_EVERY_SECONDS = 15.0


def queue_is_up(app: Flask) -> bool:
    """Redis answered a PING within the last few seconds (cached per app)."""
    cache: dict[str, Any] = app.extensions.setdefault("portal_status", {})
    now = time.monotonic()
    if now - cache.get("checked", -1e9) > CHECK_EVERY_SECONDS:
        cache["ok"] = redis_available(app)
        cache["checked"] = now
    return bool(cache["ok"])
