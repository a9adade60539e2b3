"""World changes made through the control API, told to whoever delivers webhooks for them.

The control routes (``control.py``, ``control_comments.py``) call :func:`deliveries` under the state lock
and send what comes back after releasing it; the webhook modules (``fb_webhooks.py``) register a listener
at import. The control modules so never import a platform's webhook module (no import cycles).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: (url, body, ``X-Hub-Signature-256``)
Delivery = tuple[str, bytes, str]
Listener = Callable[[str, Any, Any], list[Delivery]]

LISTENERS: list[Listener] = []


def listen(listener: Listener) -> Listener:
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    return listener


def deliveries(event: str, account: Any, subject: Any) -> list[Delivery]:
    """What to send for ``event`` (``comment_added``, ``comment_edited``, ``comment_removed``,
    ``post_deleted``) on ``account`` about ``subject`` (a comment or a post)."""
    out: list[Delivery] = []
    for listener in LISTENERS:
        out += listener(event, account, subject)
    return out


def send_signed(url: str, body: bytes, signature: str) -> None:
    """Deliver once, best effort (Meta retries; the sandbox does not)."""
    import contextlib

    import requests

    with contextlib.suppress(requests.RequestException):
        requests.post(
            url, data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature}, timeout=5
        )
