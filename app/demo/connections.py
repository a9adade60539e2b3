"""Demo social history for ``flask demo``: some demo clients connect sandbox creators for real.

For each pair in :data:`DEMO_CONNECTIONS` the real OAuth round trip runs against the sandbox
(``services.oauth.start_connect`` -> the sandbox's consent form -> ``complete_callback``), so
tokens are stored encrypted and the initial sync is queued exactly as for a real client (when Redis
answers). Then the account's year of history is read from the sandbox control API
(``GET /_sandbox/accounts/<id>?history=1&posts=1``) and written as ``imported`` daily snapshots (every
day before today; today is for the sync to measure) and content items whose ``followers_at_measure`` is
the follower count of their publish day. Everything is an upsert, so it agrees with a sync that already
ran: a measured day is never overwritten and the sync's rows are reused, not duplicated.

Only HTTP to the sandbox: product code never imports ``app.sandbox``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from app.demo.audience import import_audience_history
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.history import AccountInsight, ContentItem, DailySnapshot, Provenance
from app.models.platforms import COMMENT_PLATFORMS
from app.platforms.base import extract_hashtags
from app.services import comment_replies, facebook_pages, linkedin_pages, oauth
from app.stats.rounding import ROUNDED_PLATFORMS, reported_count
from app.sync.audience import sync_stories
from app.sync.reconcile import reconcile_followers
from app.sync.storage import upsert

#: YouTube Analytics' last complete day is 48-72 h behind (platforms.md §5)
ANALYTICS_LAG_DAYS = 3

log = logging.getLogger(__name__)

#: (client email, sandbox username): 8 of the 12 demo clients, some on two platforms (X: Kenji, Hannah)
DEMO_CONNECTIONS: tuple[tuple[str, str], ...] = (
    ("sofia@example.com", "maya.moves"),
    ("sofia@example.com", "leobuilds"),
    ("kenji@example.com", "danceduo"),
    ("amara@example.com", "studio.kofi"),
    ("amara@example.com", "grandma.bakes"),
    ("lucas@example.com", "oldschooltech"),
    ("priya@example.com", "tinyplants"),
    ("mateo@example.com", "retro.gamer"),
    ("mateo@example.com", "astro.ana"),
    ("hannah@example.com", "chef.lena"),
    ("olu@example.com", "urban.sketch"),
    ("olu@example.com", "budgetbites"),
    ("kenji@example.com", "kenjicooks"),  # a Facebook Page
    ("hannah@example.com", "lena.kitchen.live"),  # a Facebook Page chosen on the Page picker
    ("hannah@example.com", "rosa.leads"),
    ("lucas@example.com", "northwind.hr"),  # a LinkedIn Company Page (with LINKEDIN_ORGANIZATIONS on)
    ("amara@example.com", "kai_codes"),  # an X account
    ("priya@example.com", "lena_cooks"),  # an X account
)
TIMEOUT = 15
#: demo clients who also allowed the portal to reply to comments (the others' inboxes are read-only)
COMMENT_GRANTS = frozenset({"sofia@example.com", "amara@example.com"})


@dataclass
class DemoSocialResult:
    connected: int = 0
    snapshots: int = 0
    items: int = 0
    problems: list[str] = field(default_factory=list)


def connect_demo_clients(sandbox_url: str) -> DemoSocialResult:
    """Connect the demo clients to their sandbox creators and import each creator's year of history."""
    base = sandbox_url.rstrip("/")
    http = requests.Session()
    out = DemoSocialResult()
    listed = http.get(f"{base}/_sandbox/accounts", timeout=TIMEOUT)
    listed.raise_for_status()
    by_name = {a["username"]: a for a in listed.json().get("accounts", [])}
    for email, username in DEMO_CONNECTIONS:
        account = by_name.get(username)
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if account is None or user is None:
            out.problems.append(f"{email} / {username}: not found")
            continue
        try:
            connection_id = _connect(http, user, account, "comments" if email in COMMENT_GRANTS else None)
        except (requests.RequestException, oauth.OAuthRejected) as exc:
            out.problems.append(f"{email} / {username}: {type(exc).__name__}")
            continue
        if connection_id is None:
            out.problems.append(f"{email} / {username}: the platform did not complete the sign-in")
            continue
        out.connected += 1
        detail = http.get(
            f"{base}/_sandbox/accounts/{account['id']}", params={"history": "1", "posts": "1"}, timeout=TIMEOUT
        )
        detail.raise_for_status()
        snapshots, items = import_history(connection_id, detail.json())
        out.snapshots += snapshots
        out.items += items
        _import_audience(http, base, connection_id, account)
        if account.get("platform") == "instagram":
            _read_stories(connection_id, out)
    return out


def _import_audience(http: requests.Session, base: str, connection_id: int, account: dict[str, Any]) -> None:
    """Eight weekly audience snapshots before today from the creator's audience truth (demo only; a
    personal TikTok account has none: TikTok shares a business account's only)."""
    if account.get("platform") == "tiktok" and account.get("account_type") != "BUSINESS":
        return
    if account.get("platform") == "linkedin":
        _import_page_audience(http, base, connection_id, account)
        return
    got = http.get(f"{base}/_sandbox/accounts/{account['id']}", params={"audience": "1"}, timeout=TIMEOUT)
    got.raise_for_status()
    body = got.json()
    import_audience_history(
        connection_id,
        str(account.get("platform")),
        body.get("audience") or {},
        int(body.get("followers") or 0),
        datetime.now(UTC).date(),
    )


def _import_page_audience(http: requests.Session, base: str, connection_id: int, account: dict[str, Any]) -> None:
    """A LinkedIn Company Page's eight weeks before today, from the Page's audience truth (a member's
    connection has none: LinkedIn gives no member demographics). Only the facets named by LinkedIn's ids
    (seniority, job functions, company sizes) and the countries: industries and regions are named by
    the first sync."""
    from app.models import Connection

    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.account_type != "organization":
        return
    got = http.get(f"{base}/_sandbox/linkedin/accounts/{account['id']}/organizations", timeout=TIMEOUT)
    got.raise_for_status()
    page = next((o for o in got.json().get("organizations", []) if o.get("urn") == conn.platform_user_id), None)
    truth = (page or {}).get("audience") or {}
    keep = {k: truth[k] for k in ("countries", "seniority", "functions", "company_sizes") if k in truth}
    followers = int((conn.profile_stats or {}).get("followers") or 0)
    import_audience_history(connection_id, "linkedin", keep, followers, datetime.now(UTC).date())


def _read_stories(connection_id: int, out: DemoSocialResult) -> None:
    """The demo's live stories now, not at the next 4-hourly story sync (a failure is noted, not fatal)."""
    try:
        outcome = sync_stories(connection_id)
    except Exception as exc:  # noqa: BLE001 - the demo goes on without stories; the cron reads them later
        db.session.rollback()
        out.problems.append(f"stories of connection {connection_id}: {type(exc).__name__}")
        return
    if outcome.startswith("failed"):
        out.problems.append(f"stories of connection {connection_id}: {outcome}")


def _connect(http: requests.Session, user: User, account: dict[str, Any], feature: str | None = None) -> int | None:
    """The product's own OAuth round trip, with the sandbox's consent form approved for ``account``
    (``feature="comments"``: the comment grant asked as well, where the platform has one)."""
    session_id = secrets.token_urlsafe(16)
    if account["platform"] not in COMMENT_PLATFORMS or account["platform"] == "linkedin":
        feature = None  # LinkedIn: the Page's comments come with the Page's grant; no reply grant is asked
    if account["platform"] == "tiktok" and account.get("account_type") == "BUSINESS":
        # connected as a TikTok business account (API for Business), with the comment grant when asked
        feature = feature if feature == comment_replies.GRANT_FEATURE else oauth.BUSINESS_FEATURE
    elif account["platform"] == "tiktok":
        feature = None  # a personal account (Display API): no comments, no grant
    authorize = oauth.start_connect(user, session_id, account["platform"], feature)
    consent = http.post(
        authorize, data={"account_id": account["id"], "decision": "approve"}, allow_redirects=False, timeout=TIMEOUT
    )
    location = consent.headers.get("Location")
    if consent.status_code != 302 or not location:
        return None
    args = {k: v[0] for k, v in parse_qs(urlsplit(location.split("#", 1)[0]).query).items()}
    if account["platform"] == "facebook":  # Facebook Login, then the Page (picked when there are several)
        outcome = facebook_pages.complete_callback(user, session_id, args)
        if outcome.kind == "pick_page" and outcome.pick:
            outcome = facebook_pages.choose(user, session_id, outcome.pick, account["platform_user_id"])
    elif account["platform"] == "linkedin":  # the member, or the first Page they administer (picker)
        outcome = linkedin_pages.complete_callback(user, session_id, args)
        if outcome.kind == "pick_page" and outcome.pick:
            pages = linkedin_pages.options(user, session_id, outcome.pick)
            outcome = linkedin_pages.choose(user, session_id, outcome.pick, pages[0].value)
    else:
        outcome = oauth.complete_callback(user, session_id, account["platform"], args)
    return outcome.connection_id if outcome.kind == "connected" else None


def followers_by_day(detail: dict[str, Any]) -> dict[date, int]:
    """The sandbox's follower history: ``followers_at_history_start`` plus each day's net change."""
    day = date.fromisoformat(detail["history_start"])
    count = int(detail["followers_at_history_start"])
    out: dict[date, int] = {}
    for change in detail.get("daily_changes") or []:
        count = max(0, count + int(change))
        out[day] = count
        day += timedelta(days=1)
    return out


def _reported(platform: str, count: int) -> int | None:
    """The count as a sync would have stored it as reported (only where the platform rounds)."""
    return reported_count(platform, count) if platform in ROUNDED_PLATFORMS else None


def _import_analytics(connection_id: int, detail: dict[str, Any], today: date) -> None:
    """YouTube: the exact daily gains and losses a sync reads from YouTube Analytics, up to the
    analytics lag, so the imported history is reconciled exactly as a synced one."""
    pairs = detail.get("daily_gained_lost") or []
    day = date.fromisoformat(detail["history_start"])
    last = today - timedelta(days=ANALYTICS_LAG_DAYS)
    rows = []
    for gained, lost in pairs:
        if day <= last:
            for metric, value in (("followers_gained", gained), ("followers_lost", lost)):
                rows.append(
                    {
                        "connection_id": connection_id,
                        "day": day,
                        "metric": metric,
                        "value": float(value),
                        "provenance": Provenance.IMPORTED.value,
                    }
                )
        day += timedelta(days=1)
    upsert(AccountInsight, rows, ("connection_id", "day", "metric"), update_cols=("value", "provenance"))


def import_history(connection_id: int, detail: dict[str, Any], today: date | None = None) -> tuple[int, int]:
    """Write ``imported`` days before ``today`` and every post; returns (days, posts). Commits.

    A platform that rounds its counts (YouTube) gets what its API would have shown each day and its
    analytics' exact daily changes, reconciled as a sync does: the demo's history and the synced days
    then agree, instead of exact imported days next to rounded synced ones (a false "lost 1,606").
    """
    today = today or datetime.now(UTC).date()
    platform = str(detail.get("platform") or "")
    by_day = followers_by_day(detail)
    now = utcnow()
    days = [
        {
            "connection_id": connection_id,
            "day": d,
            "followers": _reported(platform, n) or n,
            "reported_followers": _reported(platform, n),
            "provenance": Provenance.IMPORTED.value,
            "synced_at": now,
        }
        for d, n in sorted(by_day.items())
        if d < today
    ]
    upsert(
        DailySnapshot,
        days,
        ("connection_id", "day"),
        update_cols=("followers", "reported_followers", "provenance", "synced_at"),
        where=DailySnapshot.provenance != Provenance.MEASURED.value,
    )
    if platform in ROUNDED_PLATFORMS:
        _import_analytics(connection_id, detail, today)
        reconcile_followers(connection_id, platform)
        by_day.update(  # the posts' audience as stored: the reconciled levels
            db.session.execute(
                select(DailySnapshot.day, DailySnapshot.followers).where(DailySnapshot.connection_id == connection_id)
            )
            .tuples()
            .all()
        )
    first = min(by_day) if by_day else today
    rows = []
    for post in detail.get("posts") or []:
        published = datetime.fromisoformat(str(post["published_at"]).replace("Z", "+00:00"))
        caption = post.get("caption")
        rows.append(
            {
                "connection_id": connection_id,
                "platform_id": str(post["id"])[:128],
                "kind": str(post["kind"])[:16],
                "caption": caption,
                "published_at": published,
                "duration_seconds": post.get("duration"),
                "hashtags": list(extract_hashtags(caption))[:50],
                "views": post.get("view_count"),
                "likes": post.get("like_count"),
                "comments": post.get("comment_count"),
                "shares": post.get("share_count"),
                "saves": post.get("save_count"),
                "reach": post.get("reach"),
                "extra_metrics": {},
                "followers_at_measure": by_day.get(max(published.date(), first)),
                "metrics_updated_at": now,
                "first_seen_at": now,
            }
        )
    # a sync that got there first keeps its numbers; the publish-day audience comes from the history
    upsert(ContentItem, rows, ("connection_id", "platform_id"), update_cols=("followers_at_measure",))
    db.session.commit()
    return len(days), len(rows)
