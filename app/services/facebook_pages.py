"""Connecting a Facebook Page: after Facebook Login, which Page (the Page picker).

Why it is its own step: Facebook Login grants a *person*; the numbers belong to a *Page*, and a person may
manage none, one or several. So after the code exchange (``app.services.oauth.complete_callback``):

* **no Page** (or none the person may analyse): nothing is stored; the problem page says why and how to
  get one;
* **one Page**: it is connected at once with its Page token;
* **several Pages**: the long-lived user token is kept, encrypted, in a single-use ``oauth_states`` row
  (``feature = "fb_pages"``; ``app.services.account_picker``, shared with the LinkedIn Page picker) bound
  to the session and the user for ten minutes, and the browser goes to the picker. The picker reads the
  Pages again with that token (Page tokens never leave the server) and connecting one consumes the row.
  The user token is never stored on a connection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from app.extensions import db
from app.models import Client, Connection, User
from app.platforms import PlatformError, ScopeMissing, TokenSet
from app.platforms.facebook import FacebookAdapter, PageChoice
from app.services import account_picker, comment_replies, quota_counters
from app.services import clients as client_service
from app.services.account_picker import PickExpired
from app.services.oauth import CallbackOutcome, exchange_step, store_connection
from app.services.tokens import adapter_for

log = logging.getLogger(__name__)

__all__ = ["PageOption", "PickExpired", "after_login", "choose", "complete_callback", "connect_page", "options"]

PLATFORM = "facebook"
PICK_FEATURE = "fb_pages"
#: the same, when the comment-management permission was asked with this login (the inbox's grant)
PICK_FEATURE_COMMENTS = "fb_pages_c"
LABEL = "fb_user"  # the ciphertext's binding (as before the holding code was shared)


@dataclass(frozen=True)
class PageOption:
    """What the picker shows of a Page (never its token)."""

    page_id: str
    name: str
    username: str | None
    can_analyze: bool


def _adapter() -> FacebookAdapter:
    adapter = adapter_for(PLATFORM)
    if not isinstance(adapter, FacebookAdapter):  # pragma: no cover - the registry builds it
        raise TypeError("the facebook adapter is not a FacebookAdapter")
    return adapter


def usable(pages: list[PageChoice]) -> list[PageChoice]:
    """The Pages whose insights the person may read (the ``ANALYZE`` task)."""
    return [p for p in pages if p.can_analyze]


def hold_for_picker(user: User, session_id: str | None, grant: TokenSet, asked_comments: bool = False) -> str:
    """Keep the user grant for the picker; returns the single-use pick token for the picker's URL."""
    feature = PICK_FEATURE_COMMENTS if asked_comments else PICK_FEATURE
    return account_picker.hold(user, session_id, PLATFORM, feature, grant.access_token, LABEL)


def _held(user: User, session_id: str | None, pick: str, *, consume: bool) -> tuple[TokenSet, bool]:
    token, feature = account_picker.take(
        user, session_id, pick, (PICK_FEATURE, PICK_FEATURE_COMMENTS), LABEL, consume=consume
    )
    return TokenSet(access_token=token, scopes=frozenset()), feature == PICK_FEATURE_COMMENTS


def options(user: User, session_id: str | None, pick: str) -> list[PageOption]:
    """The Pages to choose from (read again from Facebook with the held user token)."""
    client_service.own_client(user)
    grant, _ = _held(user, session_id, pick, consume=False)
    try:
        pages = _adapter().list_pages(grant.access_token)
    except PlatformError as exc:
        log.warning("facebook page list failed: %s", exc, extra={"event": "oauth_profile_failed"})
        raise PickExpired("Facebook did not list your Pages. Start connecting again.") from exc
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0)
    return [PageOption(p.page_id, p.name, p.username, p.can_analyze) for p in pages]


def choose(user: User, session_id: str | None, pick: str, page_id: str) -> CallbackOutcome:
    """Connect the chosen Page (the held grant is consumed whatever happens)."""
    client = client_service.own_client(user)
    held, asked = _held(user, session_id, pick, consume=True)
    adapter = _adapter()
    try:
        pages = adapter.list_pages(held.access_token)
        grant = TokenSet(
            access_token=held.access_token,
            scopes=adapter.permissions(held.access_token),
            platform_user_id=adapter.user_id(held.access_token),
        )
    except PlatformError as exc:
        log.warning("facebook page list failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome("failed", PLATFORM, message="Facebook did not answer. Nothing was saved; try again.")
    finally:  # three calls: the Pages, the permissions, the person's id (each counted once made)
        for _ in range(3):
            quota_counters.charge_outside_sync(PLATFORM, 0)
    chosen = next((p for p in usable(pages) if p.page_id == page_id), None)
    if chosen is None:
        return CallbackOutcome("no_page", PLATFORM)
    return connect_page(client, adapter, grant, chosen, adapter.missing_scopes(grant), asked)


def complete_callback(user: User, session_id: str | None, args: Mapping[str, str]) -> CallbackOutcome:
    """Facebook's OAuth callback: the shared checks and exchange, then the Page step (:func:`after_login`).

    :raises OAuthRejected: forged, replayed, expired, foreign or mixed-up callbacks, or no code.
    """
    step = exchange_step(user, session_id, PLATFORM, args)
    if isinstance(step, CallbackOutcome):
        return step
    if not isinstance(step.adapter, FacebookAdapter):  # pragma: no cover - the registry builds it
        raise TypeError("the facebook adapter is not a FacebookAdapter")
    asked = step.pending.feature == comment_replies.GRANT_FEATURE
    return after_login(user, step.client, session_id, step.adapter, step.tokens, asked)


def after_login(
    user: User,
    client: Client,
    session_id: str | None,
    adapter: FacebookAdapter,
    grant: TokenSet,
    asked_comments: bool = False,
) -> CallbackOutcome:
    """The callback's Facebook branch: no Page, one Page (connected), or several (to the picker)."""
    missing = adapter.missing_scopes(grant)
    try:
        pages = usable(adapter.list_pages(grant.access_token))
    except ScopeMissing:
        return CallbackOutcome("insufficient_scope", PLATFORM)
    except PlatformError as exc:
        log.warning("facebook page list failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome("failed", PLATFORM, message="Facebook did not answer. Nothing was saved; try again.")
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0)
    if not pages:
        return CallbackOutcome("no_page", PLATFORM)
    if len(pages) == 1:
        return connect_page(client, adapter, grant, pages[0], missing, asked_comments)
    return CallbackOutcome("pick_page", PLATFORM, pick=hold_for_picker(user, session_id, grant, asked_comments))


def connect_page(
    client: Client,
    adapter: FacebookAdapter,
    user_grant: TokenSet,
    page: PageChoice,
    missing: frozenset[str],
    asked_comments: bool = False,
) -> CallbackOutcome:
    """Store the connection of ``page`` with its Page token (history kept on a reconnect)."""
    grant = adapter.page_grant(user_grant, page)
    try:
        profile = adapter.fetch_profile(grant.access_token)
    except ScopeMissing:
        return CallbackOutcome("insufficient_scope", PLATFORM)
    except PlatformError as exc:
        log.warning("facebook page profile failed: %s", exc, extra={"event": "oauth_profile_failed"})
        return CallbackOutcome("failed", PLATFORM, message="Facebook did not answer. Nothing was saved; try again.")
    finally:
        quota_counters.charge_outside_sync(PLATFORM, 0)
    outcome = store_connection(client, adapter, PLATFORM, page.page_id, grant, profile, missing)
    conn = db.session.get(Connection, outcome.connection_id) if outcome.connection_id is not None else None
    if conn is not None and grant.scopes:  # the inbox's reply grant, as for the other platforms
        comment_replies.apply_grant(conn, grant.scopes, asked_comments)
        db.session.commit()
    return outcome
