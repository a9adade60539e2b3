"""Case studies: the client's consent (asked in the portal, revocable) and who may see a case study.

A case study exists only while the client's consent is in force: withdrawing it removes the page and
the PDF at once (both answer 404, like a client that does not exist). ``named``: the client also allows
their name and handles; otherwise only the anonymised version can be made.
"""

from __future__ import annotations

from app.errors import NotFound
from app.extensions import db
from app.models import CaseStudyConsent, Client
from app.models.base import utcnow


def consent_of(client: Client) -> CaseStudyConsent | None:
    """The consent in force, or None (never asked, or withdrawn)."""
    row = db.session.get(CaseStudyConsent, client.id)
    return row if row is not None and row.withdrawn_at is None else None


def give(client: Client, *, named: bool) -> CaseStudyConsent:
    row = db.session.get(CaseStudyConsent, client.id)
    if row is None:
        row = CaseStudyConsent(client_id=client.id)
        db.session.add(row)
    row.named, row.granted_at, row.withdrawn_at = named, utcnow(), None
    db.session.commit()
    return row


def withdraw(client: Client) -> None:
    row = db.session.get(CaseStudyConsent, client.id)
    if row is not None and row.withdrawn_at is None:
        row.withdrawn_at = utcnow()
        db.session.commit()


def require(client: Client, anonymous: bool) -> bool:
    """Whether the case study is anonymised (always, unless the client allowed their name and the
    anonymous version was not asked for).

    :raises NotFound: no consent in force (never given, or withdrawn).
    """
    row = consent_of(client)
    if row is None:
        raise NotFound("No case study: the client has not agreed to one.")
    return anonymous or not row.named
