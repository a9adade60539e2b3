"""Connecting a LinkedIn Company Page: after the member's OAuth, which Page (or the member profile).

Only when the deployment offers Pages (``LINKEDIN_ORGANIZATIONS``: the organization scopes are asked
too); otherwise the callback is every platform's (``app.services.oauth``). After the code exchange:

* **no Page administered** (``organizationAcls`` lists no ADMINISTRATOR/APPROVED role, or the member
  declined the organization scopes): the member's own profile is connected as before, and the landing
  page says why no Page was offered;
* **one or more Pages**: the grant is held for the picker (``app.services.account_picker``,
  ``feature = "li_pages"``); the picker lists the Pages again with it and also offers the member
  profile. Choosing a Page stores a connection whose ``platform_user_id`` is the organization URN and
  ``account_type`` ``organization`` (``grantor_id``: the member); its syncs read the Page's numbers
  (``app.platforms.linkedin_org.LinkedInOrgAdapter``). The grant itself never reaches the browser.

A client keeps one live LinkedIn connection (member or Page), as on every platform.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.models import Client, User
from app.platforms import PlatformError, ScopeMissing, TokenSet
from app.platforms.linkedin import LinkedInAdapter
from app.platforms.linkedin_comments import WRITE_SCOPE as LI_WRITE_SCOPE
from app.platforms.linkedin_org import LinkedInOrgAdapter, PageChoice, page_choices
from app.services import account_picker, quota_counters
from app.services import clients as client_service
from app.services.account_picker import PickExpired
from app.services.oauth import CallbackOutcome, Exchanged, exchange_step, finish_callback, store_connection
from app.services.tokens import adapter_for

log = logging.getLogger(__name__)

PLATFORM = "linkedin"
PICK_FEATURE = "li_pages"
LABEL = "li_grant"
#: the picker's value for "my own member profile"
MEMBER = "member"
NO_PAGE = (
    "You are not an administrator of a LinkedIn Company Page (or did not share Page access), so your own "
    "LinkedIn profile was connected."
)

__all__ = ["MEMBER", "PageOption", "PickExpired", "choose", "complete_callback", "options"]


@dataclass(frozen=True)
class PageOption:
    """What the picker shows of a Page (its name is LinkedIn's: escaped when shown)."""

    value: str
    name: str
    vanity: str | None


def _adapter() -> LinkedInAdapter:
    adapter = adapter_for(PLATFORM)
    if not isinstance(adapter, LinkedInAdapter):  # pragma: no cover - the registry builds it
        raise TypeError("the linkedin adapter is not a LinkedInAdapter")
    return adapter


def _pack(grant: TokenSet) -> str:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return json.dumps(
        {
            "a": grant.access_token,
            "r": grant.refresh_token,
            "e": iso(grant.expires_at),
            "re": iso(grant.refresh_expires_at),
            "s": sorted(grant.scopes),
            "i": grant.issued_at.isoformat(),
        }
    )


def _unpack(raw: str) -> TokenSet:
    data: dict[str, Any] = json.loads(raw)

    def when(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    return TokenSet(
        access_token=data["a"],
        refresh_token=data.get("r"),
        expires_at=when("e"),
        refresh_expires_at=when("re"),
        scopes=frozenset(data.get("s") or ()),
        issued_at=when("i") or datetime.now().astimezone(),
    )


def _pages(adapter: LinkedInAdapter, token: str) -> list[PageChoice] | None:
    """The Pages the member administers; None when LinkedIn did not answer (counted: 1 + 1 a Page)."""
    calls = 1
    try:
        pages = page_choices(adapter, token)
        calls += len(pages)
        return pages
    except ScopeMissing:
        return []  # no organization scope granted (or no role at all): no Page to offer
    except PlatformError as exc:
        log.warning("linkedin page list failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return None
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0, linkedin_calls=calls)


def complete_callback(user: User, session_id: str | None, args: Mapping[str, str]) -> CallbackOutcome:
    """LinkedIn's OAuth callback: the shared checks and exchange, then the member or the Page step.

    :raises OAuthRejected: forged, replayed, expired, foreign or mixed-up callbacks, or no code.
    """
    step = exchange_step(user, session_id, PLATFORM, args)
    if isinstance(step, CallbackOutcome):
        return step
    adapter = step.adapter
    if not isinstance(adapter, LinkedInAdapter) or not adapter.org_scopes:
        return finish_callback(PLATFORM, step)
    pages = _pages(adapter, step.tokens.access_token)
    if pages:
        grant = _pack(step.tokens)
        return CallbackOutcome(
            "pick_page", PLATFORM, pick=account_picker.hold(user, session_id, PLATFORM, PICK_FEATURE, grant, LABEL)
        )
    return _as_member(
        step, NO_PAGE if pages is not None else "LinkedIn did not list your Pages; your profile was connected."
    )


def _as_member(step: Exchanged, message: str) -> CallbackOutcome:
    outcome = finish_callback(PLATFORM, step)
    return replace(outcome, message=message) if outcome.kind == "connected" else outcome


def options(user: User, session_id: str | None, pick: str) -> list[PageOption]:
    """The Pages to choose from (read again from LinkedIn with the held grant); the member profile last."""
    client_service.own_client(user)
    raw, _ = account_picker.take(user, session_id, pick, (PICK_FEATURE,), LABEL, consume=False)
    pages = _pages(_adapter(), _unpack(raw).access_token)
    if pages is None:
        raise PickExpired("LinkedIn did not list your Pages. Start connecting again.")
    return [PageOption(p.urn, p.name, p.vanity) for p in pages]


def choose(user: User, session_id: str | None, pick: str, value: str) -> CallbackOutcome:
    """Connect the chosen Page, or the member profile (``value == MEMBER``); the grant is consumed."""
    client = client_service.own_client(user)
    raw, _ = account_picker.take(user, session_id, pick, (PICK_FEATURE,), LABEL, consume=True)
    grant = _unpack(raw)
    adapter = _adapter()
    if value == MEMBER:
        return _store_member(client, adapter, grant)
    pages = _pages(adapter, grant.access_token)
    if pages is None:
        return CallbackOutcome("failed", PLATFORM, message="LinkedIn did not answer. Nothing was saved; try again.")
    if not any(p.urn == value for p in pages):
        return CallbackOutcome("no_page", PLATFORM)  # not (or no longer) an administrator of it
    page = LinkedInOrgAdapter(adapter, value)
    try:
        profile = page.fetch_profile(grant.access_token)
    except PlatformError as exc:
        log.warning("linkedin page profile failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome("failed", PLATFORM, message="LinkedIn did not answer. Nothing was saved; try again.")
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0, linkedin_calls=2)  # organizations/{id} + networkSizes
    # writing as the Page (``w_organization_social``, LINKEDIN_PAGE_REPLIES) is optional: without it the
    # inbox says replying is not available (docs/comments.md)
    wanted = frozenset(adapter.org_scopes) - {LI_WRITE_SCOPE}
    missing = wanted - grant.scopes if grant.scopes else frozenset()
    return store_connection(client, page, PLATFORM, value, grant, profile, missing)


def _store_member(client: Client, adapter: LinkedInAdapter, grant: TokenSet) -> CallbackOutcome:
    try:
        profile = adapter.fetch_profile(grant.access_token)
    except ScopeMissing:
        return CallbackOutcome("insufficient_scope", PLATFORM)
    except PlatformError as exc:
        log.warning("linkedin profile failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome("failed", PLATFORM, message="LinkedIn did not answer. Nothing was saved; try again.")
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0)
    missing = adapter.missing_scopes(grant)
    return store_connection(client, adapter, PLATFORM, profile.platform_user_id, grant, profile, missing)
