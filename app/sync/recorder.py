"""The per-sync HTTP session: spends the shared budgets before each call, counts calls and quota units,
keeps every answer (scrubbed, truncated) for the 30-day raw-response log, and extends the sync lock.

It wraps the process-wide pooled session, so a sync adds no connection setup; adapters see a normal
``requests.Session``. A sync's independent calls may run at once (``app.sync.aside``): the counters and
the raw log are updated under a lock, the budgets are Redis-atomic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from app.models.base import utcnow
from app.platforms.http import TimeoutSession
from app.platforms.meta import usage_parts
from app.security.scrub import scrub_text, scrub_url
from app.sync.quotas import Budgets, x_account

RAW_BODY_LIMIT = 20_000


@dataclass
class RawCall:
    at: datetime
    method: str
    url: str
    status: int
    body: str | None


class RecordingSession(TimeoutSession):
    """A session for one sync of one platform account."""

    def __init__(
        self,
        inner: requests.Session,
        platform: str,
        budgets: Budgets,
        on_call: Callable[[], None] | None = None,
        keep_raw: bool = True,
        account: str | None = None,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.platform = platform
        self.budgets = budgets
        self.on_call = on_call
        self.keep_raw = keep_raw
        #: whose X 15-minute windows (the connection id; else each call's bearer token)
        self.account = account
        self.calls = 0
        self.quota_units = 0
        self.raw: list[RawCall] = []
        self._mutex = threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        text_url = url.decode() if isinstance(url, bytes) else url
        text_method = method.decode() if isinstance(method, bytes) else method
        who = x_account(self.account, kwargs.get("headers")) if self.platform == "x" else None
        units = reserved = self.budgets.before_call(self.platform, text_url, text_method, account=who)
        with self._mutex:
            self.calls += 1
            self.quota_units += units
        try:
            response = self.inner.request(method, url, *args, **kwargs)
        except Exception:
            if self.platform == "x":  # X charges the posts an answer returns: none came back
                self.budgets.refund(self.platform, reserved)
                with self._mutex:
                    self.quota_units -= reserved
            raise
        finally:
            if self.on_call is not None:
                self.on_call()
        # what the answer says (X's refund and window, Meta's usage) and the call's counts: one round trip
        pipe = self.budgets.conn.pipeline()
        units = self.budgets.settle(self.platform, units, response, pipe)  # X: the posts really returned
        if who is not None:
            self.budgets.x_window_record(who, text_url, response, pipe)
        with self._mutex:
            self.quota_units += units - reserved
        # usage from answers that worked: a throttled answer is handled by its error, not by the gate
        meta = self.platform in ("instagram", "facebook")
        usage = usage_parts(response) if meta and response.status_code < 400 else None
        self.budgets.after_call(self.platform, units, usage, pipe)
        if self.keep_raw:
            body: str | None
            try:
                body = scrub_text(response.text[:RAW_BODY_LIMIT])
            except Exception:  # noqa: BLE001 - an undecodable body is kept as absent
                body = None
            call = RawCall(
                utcnow(), text_method[:8], scrub_url(response.url or text_url)[:2048], response.status_code, body
            )
            with self._mutex:
                self.raw.append(call)
        return response
