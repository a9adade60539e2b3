"""What the public share page shows, its Open Graph card and the card's image.

* The client chooses the page's detail: ``totals`` (followers and growth, the summary) or ``full``
  (also each platform, the chart's platforms, the best theme and time, the top posts). The coach's
  comment is never shown.
* The card image (``card.py``) is rendered by a worker (``app.jobs.reports.render_share_card``) and
  stored in ``share_cards`` with the fingerprint of what it shows (the client's data version, the
  programme window, the brand); a stale card is still served while its successor renders, so a post
  never loses its picture. One job per fingerprint (the job id carries it).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Client, ReportSettings, ShareCard
from app.models.base import utcnow
from app.queueing import dispatch
from app.reports import build, card, service, summary
from app.services import brand

DETAILS = ("totals", "full")
CARD_VERSION = 2  # 2: the CJK and emoji fallback fonts


def set_detail(client: Client, detail: str) -> ReportSettings:
    """Totals only, or with platforms and top posts; :raises ValidationFailed: for anything else."""
    if detail not in DETAILS:
        raise ValidationFailed("Choose what the shared page shows: totals only, or with platforms and top posts.")
    row = service.settings_for(client)
    row.share_detail = detail
    db.session.add(row)
    db.session.commit()
    return row


def card_fingerprint(client: Client, today: date) -> str:
    b = brand.current()
    window = build.program_window(client, today)
    parts = (
        CARD_VERSION,
        service.data_version(client),
        window,
        b.name,
        b.colour,
        b.footer,
        b.logo_version,
        b.locale,
        client.locale,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def stored_card(client: Client) -> ShareCard | None:
    return db.session.get(ShareCard, client.id)


def ensure_card(client: Client, today: date | None = None) -> bool:
    """Ask a worker for the card unless the stored one is current; True when it is (or is queued)."""
    fp = card_fingerprint(client, today or utcnow().date())
    row = db.session.execute(select(ShareCard.fingerprint).where(ShareCard.client_id == client.id)).scalar()
    if row == fp:
        return True
    return dispatch.enqueue_share_card(client.id, f"share-card-{client.id}-{fp[:16]}")


def card_payload(client: Client, today: date) -> dict[str, Any]:
    """The programme report's numbers without charts (the card and the Open Graph text)."""
    payload = build.program(client, today, charts=False)
    payload["coach_comment"] = None
    return payload


def public_payload(client: Client, today: date) -> tuple[dict[str, Any], str]:
    """The programme report the public page shows, and the detail the client chose: never the coach's
    comment; with "totals" no chart either (its lines are per platform)."""
    detail = service.settings_for(client).share_detail
    payload = build.program(client, today, charts=detail == "full")
    payload["coach_comment"] = None  # private to the coaching relationship
    return payload, detail


def render_card(client_id: int, today: date | None = None) -> ShareCard | None:
    """Draw and store the client's card (the worker's job); None for a client that is gone."""
    client = db.session.get(Client, client_id)
    if client is None:
        return None
    today = today or utcnow().date()
    payload = card_payload(client, today)
    b = brand.current()
    png = card.render(
        payload,
        payload["summary"]["headlines"],
        business=b.name,
        colour=b.colour,
        footer=b.footer,
        logo_png=brand.logo_png() if b.has_logo else None,
    )
    row = db.session.get(ShareCard, client.id) or ShareCard(client_id=client.id)
    row.fingerprint, row.png, row.created_at = card_fingerprint(client, today), png, utcnow()
    db.session.add(row)
    db.session.commit()
    return row


def open_graph(payload: dict[str, Any]) -> dict[str, str]:
    """Title and description of the share page's card (plain text: the template escapes it)."""
    loc = payload.get("locale") or "en"
    s = summary.summarise(payload, loc)
    b = brand.current()
    heads = " · ".join(f"{h.label}: {h.text(loc)}" for h in s.headlines)
    return {
        "title": f"{payload['client']['name']} · Programme report · {b.name}",
        "description": f"{heads}. {s.grew_total}",
        "site_name": b.name,
    }
