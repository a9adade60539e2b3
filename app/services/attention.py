"""The coach's snooze / resolve of a needs-attention reason, with a note (``attention_notes``).

Snooze hides the reason for 1, 7 or 30 days; resolve records that it was dealt with and hides it for
``RESOLVE_DAYS`` (the decline window), after which it shows again if it is still true. The reason is
named by its key (``app.stats.attention.reason_key``); the client comes from ``clients.get_client_for``
(so another coach's client is a 404 before this runs).
"""

from __future__ import annotations

from datetime import date, timedelta

from app.errors import ValidationFailed
from app.extensions import db
from app.models import AttentionAction, AttentionNote, Client, User
from app.stats.attention import valid_key

SNOOZE_DAYS = (1, 7, 30)
RESOLVE_DAYS = 14
MAX_NOTE = 1000


def record(
    user: User, client: Client, *, reason: str, reason_text: str, action: str, days: str | None, note: str, today: date
) -> AttentionNote:
    """:raises ValidationFailed: an unknown reason or action, a snooze length not offered, a note too long."""
    if not valid_key(reason):
        raise ValidationFailed("Unknown reason.", field="reason")
    if action == AttentionAction.SNOOZED:
        if not (days or "").isdigit() or int(days or 0) not in SNOOZE_DAYS:
            raise ValidationFailed("Snooze for 1, 7 or 30 days.", field="days")
        length = int(days or 0)
    elif action == AttentionAction.RESOLVED:
        length = RESOLVE_DAYS
    else:
        raise ValidationFailed("Choose snooze or resolve.", field="action")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Keep the note under {MAX_NOTE} characters.", field="note")
    row = AttentionNote(
        client_id=client.id,
        reason=reason,
        reason_text=reason_text.strip()[:300] or reason,
        action=action,
        until=today + timedelta(days=length),
        note=note or None,
        user_id=user.id,
    )
    db.session.add(row)
    db.session.commit()
    return row
