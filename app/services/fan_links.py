"""Fans who link their own accounts (docs/fans.md): the creator's public link page, consent, verification
by a code the fan posts as a comment (or by signing in with the platform: ``fan_signin``), unlink and
delete.

Verification reads the comments the sync stored: a comment **by the claimed handle**, on this creator's
account on that platform, **published after the code was issued** and within ``CODE_DAYS``, whose text
carries the code. A code is bound to one claimed identity and is spent once verified; a comment posted
before the code existed (a replay) or from another account (a forgery) does not verify it. One platform
account belongs to at most one link.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Client, Comment, Connection, FanLink, FanLinkIdentity, FanLinkPage
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.platforms.registry import is_configured
from app.services import live
from app.services.urls import absolute_url

#: platforms whose comments the app holds (docs/comments.md): the only ones a code can be seen on
CODE_PLATFORMS = ("instagram", "youtube")
#: platforms a fan links by signing in only (``fan_signin``; no replies read, so no code could be seen)
SIGNIN_ONLY = ("x",)
LINK_PLATFORMS = (*CODE_PLATFORMS, *SIGNIN_ONLY)
CODE_DAYS = 7
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]{1,60}$")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class BadLink(ServiceError):
    status = 400
    code = "bad_link"


def valid_handle(value: str) -> bool:
    """Letters, digits, dots, dashes and underscores, at most 60 (an optional leading ``@``)."""
    return bool(_HANDLE.match(value))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def page_for_client(client: Client, create: bool = False) -> FanLinkPage | None:
    page = db.session.get(FanLinkPage, client.id)
    if page is None and create:
        page = FanLinkPage(client_id=client.id, token=secrets.token_urlsafe(24))
        db.session.add(page)
        db.session.commit()
    return page


def page_url(client: Client) -> str | None:
    """The public address of the client's link page, None while it is off."""
    page = page_for_client(client)
    return absolute_url("fan_link.link_page", token=page.token) if page else None


def turn_off(client: Client) -> None:
    """The page stops answering (the links fans made stay until they delete them)."""
    db.session.execute(delete(FanLinkPage).where(FanLinkPage.client_id == client.id))
    db.session.commit()


def client_for_token(token: str) -> Client:
    page = db.session.scalar(select(FanLinkPage).where(FanLinkPage.token == token[:64]))
    client = db.session.get(Client, page.client_id) if page else None
    if client is None:
        raise NotFound("This link page does not exist (any more).")
    return client


def platforms_of(client: Client) -> list[str]:
    """The creator's connected platforms a fan can link: those whose comments the app reads, and X when the
    deployment can offer "Sign in with X"."""
    wanted = [*CODE_PLATFORMS, *(p for p in SIGNIN_ONLY if is_configured(p, current_app.config))]
    rows = db.session.scalars(
        select(Connection.platform).where(
            Connection.client_id == client.id,
            Connection.disconnected_at.is_(None),
            Connection.platform.in_(wanted),
        )
    ).all()
    return sorted(set(rows))


def consent_text(client: Client, business: str) -> str:
    """What the fan agrees to, in plain words; stored word for word with their link."""
    return (
        f"I link my own accounts on the platforms I list here so that {client.display_name} (and their coach at "
        f"{business}) can see my comments on {client.display_name}'s posts on those platforms together, as one "
        "person. Nothing else is linked; nobody else sees it. I can unlink and delete this at any time from my "
        "private link, and then my accounts are shown separately again at once."
    )


def _code() -> str:
    return "LINK-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def start(client: Client, business: str, consent: object, handles: Mapping[str, object]) -> str:
    """Create a fan's link; returns the private manage secret (shown once, in the fan's own link).

    :raises BadLink: no consent, no handle, a handle that is not one, a platform the creator does not use.
    """
    if consent not in ("yes", True):
        raise BadLink("Tick the box to agree to the text above first.", field="consent")
    allowed = platforms_of(client)
    claims: dict[str, str] = {}
    for platform, raw in handles.items():
        value = str(raw or "").strip()
        if not value:
            continue
        if platform not in allowed:
            raise BadLink("Link only the platforms listed on this page.", field=platform)
        if not _HANDLE.match(value):
            raise BadLink(
                f"{PLATFORM_NAMES.get(platform, platform)}: a handle is letters, digits, dots, dashes or underscores.",
                field=platform,
            )
        claims[platform] = value.lstrip("@")
    if len(claims) < 2:
        raise BadLink("Give your handle on at least two platforms: linking one account links nothing.")
    secret = secrets.token_urlsafe(32)
    link = FanLink(client_id=client.id, manage_hash=_hash(secret), consent_text=consent_text(client, business))
    db.session.add(link)
    db.session.flush()
    for platform, handle in sorted(claims.items()):
        db.session.add(
            FanLinkIdentity(fan_link_id=link.id, client_id=client.id, platform=platform, handle=handle, code=_code())
        )
    db.session.commit()
    return secret


def link_for(client: Client, secret: str) -> FanLink:
    link = db.session.scalar(
        select(FanLink).where(FanLink.manage_hash == _hash(secret[:100]), FanLink.client_id == client.id)
    )
    if link is None:
        raise NotFound("This private link does not exist (any more).")
    return link


def identities(link: FanLink) -> list[FanLinkIdentity]:
    return list(
        db.session.scalars(
            select(FanLinkIdentity).where(FanLinkIdentity.fan_link_id == link.id).order_by(FanLinkIdentity.platform)
        )
    )


@dataclass(frozen=True)
class CheckResult:
    verified: list[str]
    waiting: list[str]
    taken: list[str]
    #: claimed accounts only a platform sign-in can verify (X)
    signin: tuple[str, ...] = ()


def check(link: FanLink, commit: bool = True) -> CheckResult:
    """Verify each claimed identity whose code a comment by that handle now carries (``commit=False``: inside
    the caller's transaction, the comment sync's)."""
    verified, waiting, taken, signin = [], [], [], []
    for ident in identities(link):
        if ident.verified_at is not None:
            verified.append(ident.platform)
            continue
        if ident.platform in SIGNIN_ONLY:
            signin.append(ident.platform)
            continue
        expires = ident.code_issued_at + timedelta(days=CODE_DAYS)
        match = db.session.scalar(
            select(Comment)
            .where(
                Comment.client_id == link.client_id,
                Comment.platform == ident.platform,
                ~Comment.from_owner,
                Comment.deleted_at_platform.is_(None),
                Comment.author_platform_id.is_not(None),
                Comment.published_at >= ident.code_issued_at,
                Comment.published_at <= expires,
                Comment.text.contains(ident.code, autoescape=True),
                # by the claimed handle only: a code posted from another account neither verifies nor blocks
                func.lower(func.ltrim(Comment.author_handle, "@")) == ident.handle.lower(),
            )
            .order_by(Comment.published_at)
        )
        if match is None:
            waiting.append(ident.platform)
            continue
        owner = db.session.scalar(
            select(FanLinkIdentity).where(
                FanLinkIdentity.connection_id == match.connection_id,
                FanLinkIdentity.author_platform_id == match.author_platform_id,
            )
        )
        if owner is not None:
            taken.append(ident.platform)
            continue
        ident.verified_at = utcnow()
        ident.connection_id = match.connection_id
        ident.author_platform_id = match.author_platform_id
        db.session.flush()
        verified.append(ident.platform)
    if commit:
        db.session.commit()
        if verified:
            live.bump([link.client_id])  # the creator's fans change (cached answers are keyed on it)
    return CheckResult(verified, waiting, taken, tuple(signin))


def check_pending(client_id: int) -> int:
    """After the comment sync stored new comments: check every link of the client still waiting for a code
    (inside the sync's transaction). Returns the number of identities verified now."""
    waiting = db.session.scalars(
        select(FanLink)
        .where(
            FanLink.id.in_(
                select(FanLinkIdentity.fan_link_id).where(
                    FanLinkIdentity.client_id == client_id, FanLinkIdentity.verified_at.is_(None)
                )
            )
        )
        .order_by(FanLink.id)
    ).all()
    before = {i.id for link in waiting for i in identities(link) if i.verified_at is None}
    for link in waiting:
        check(link, commit=False)
    return sum(1 for link in waiting for i in identities(link) if i.id in before and i.verified_at is not None)


def delete_link(link: FanLink) -> None:
    """Unlink and delete: the link, its identities and the stored consent go at once."""
    client_id = link.client_id
    db.session.execute(delete(FanLinkIdentity).where(FanLinkIdentity.fan_link_id == link.id))
    db.session.delete(link)
    db.session.commit()
    live.bump([client_id])  # the combined fan goes at once, cached answers included


def verified_map(client_id: int) -> dict[tuple[int, str], int]:
    """(connection id, author id) -> link id of every verified identity of the client's linked fans."""
    return {
        (c, str(a)): link_id
        for c, a, link_id in db.session.execute(
            select(
                FanLinkIdentity.connection_id, FanLinkIdentity.author_platform_id, FanLinkIdentity.fan_link_id
            ).where(FanLinkIdentity.client_id == client_id, FanLinkIdentity.verified_at.is_not(None))
        )
        if c is not None and a is not None
    }


def signin_only_identities(client_id: int, link_ids: set[int]) -> list[FanLinkIdentity]:
    """The verified identities of these links on sign-in-only platforms (X), which no comment names."""
    if not link_ids:
        return []
    return list(
        db.session.scalars(
            select(FanLinkIdentity)
            .where(
                FanLinkIdentity.client_id == client_id,
                FanLinkIdentity.fan_link_id.in_(sorted(link_ids)),
                FanLinkIdentity.platform.in_(SIGNIN_ONLY),
                FanLinkIdentity.verified_at.is_not(None),
            )
            .order_by(FanLinkIdentity.fan_link_id, FanLinkIdentity.platform)
        )
    )
