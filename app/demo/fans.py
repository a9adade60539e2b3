"""Demo fans and tactics for ``flask demo``: the fans and tactics sections have something to show.

* **Tactics**: every imported post of the demo clients gets the tags its caption suggests
  (``stats.tactics.suggest``), plus a fixed spread a coach might have tagged by hand (a carousel is a
  carousel tutorial, every third reel, short or video opens with a hook, every fifth post is a collab,
  every fourth behind the scenes). Deterministic, no randomness: the same demo on every machine.
* **Fans** come from the comments the sync reads (the sandbox's demo creators have comment streams);
  nothing here writes a comment row.
* **One linked fan**: Sofia's creator page gets a link page, and the sandbox fan ``sunny.days`` links
  their Instagram and YouTube accounts through it exactly as a fan would (consent stored word for word),
  then posts each code as a comment on the creator's newest post through the sandbox's control API.
  The comment sync that reads those comments verifies the link (``fan_links.check_pending``), so the
  fans page shows one person across the two platforms once the worker has synced.

Only HTTP to the sandbox: product code never imports ``app.sandbox``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from app.demo.connections import DEMO_CONNECTIONS
from app.extensions import db
from app.models import Client, Connection, ContentItem, ContentTactic, User
from app.services import brand, fan_links
from app.stats import tactics

#: the demo client whose fan links two platforms, the sandbox fan (a handle of its comment streams) and
#: the two creators (one Instagram, one YouTube) that client connects
LINKED_CLIENT = "sofia@example.com"
LINKED_FAN = "sunny.days"
TIMEOUT = 15


@dataclass
class DemoFans:
    tagged_posts: int = 0
    tags: int = 0
    link_codes_posted: int = 0
    problem: str | None = None


def spread(index: int, kind: str) -> set[str]:
    """The hand-tagging spread of a connection's ``index``-th post (oldest first) of format ``kind``."""
    out: set[str] = set()
    if kind == "carousel":
        out.add("carousel-tutorial")
    if kind in ("reel", "short", "video") and index % 3 == 0:
        out.add("hook-3s")
    if index % 5 == 2:
        out.add("collab")
    if index % 4 == 1:
        out.add("behind-the-scenes")
    return out


def tag_demo_posts(client_ids: list[int]) -> tuple[int, int]:
    """Tag every post of these clients (suggested + the spread); returns (posts tagged, tags). Commits."""
    defs = list(tactics.BUILTIN)
    known = {d.slug for d in defs}
    posts = tags = 0
    conns = db.session.scalars(select(Connection).where(Connection.client_id.in_(client_ids))).all()
    for conn in conns:
        items = db.session.scalars(
            select(ContentItem).where(ContentItem.connection_id == conn.id).order_by(ContentItem.published_at)
        ).all()
        have = tactics.tags_of([i.id for i in items])
        for index, item in enumerate(items):
            wanted = set(tactics.suggest(item.caption or "", item.hashtags or [], item.kind, defs))
            wanted |= spread(index, item.kind)
            new = sorted((wanted & known) - set(have.get(item.id, ())))[: tactics.MAX_TACTICS_PER_POST]
            if not new:
                continue
            db.session.add_all(ContentTactic(content_item_id=item.id, tactic=slug) for slug in new)
            posts += 1
            tags += len(new)
    db.session.commit()
    return posts, tags


def _newest_post(http: requests.Session, base: str, account_id: str) -> str | None:
    detail = http.get(f"{base}/_sandbox/accounts/{account_id}", params={"posts": "1"}, timeout=TIMEOUT)
    detail.raise_for_status()
    posts = detail.json().get("posts") or []
    newest = max(posts, key=lambda p: str(p.get("published_at") or ""), default=None)
    return str(newest["id"]) if newest else None


def link_demo_fan(base: str, accounts: dict[str, str]) -> int:
    """Sofia's fan links Instagram and YouTube through the link page; returns the codes posted.

    ``accounts``: platform -> the sandbox account id of Sofia's creator on it.
    """
    user = db.session.execute(select(User).where(User.email == LINKED_CLIENT)).scalar_one_or_none()
    client = db.session.scalar(select(Client).where(Client.user_id == user.id)) if user else None
    if client is None or not {"instagram", "youtube"} <= set(fan_links.platforms_of(client)):
        return 0
    fan_links.page_for_client(client, create=True)
    secret = fan_links.start(
        client, brand.current().name, "yes", {"instagram": LINKED_FAN, "youtube": "@" + LINKED_FAN}
    )
    link = fan_links.link_for(client, secret)
    http = requests.Session()
    posted = 0
    # a minute after the codes were issued: a comment older than its code never verifies (a replay)
    at = (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    for ident in fan_links.identities(link):
        account_id = accounts.get(ident.platform)
        post_id = _newest_post(http, base, account_id) if account_id else None
        if post_id is None:
            continue
        resp = http.post(
            f"{base}/_sandbox/accounts/{account_id}/comments",
            json={
                "text": f"Linking my accounts {ident.code} 🙌",
                "author_handle": LINKED_FAN,
                "post_id": post_id,
                "published_at": at,
            },
            timeout=TIMEOUT,
        )
        resp.raise_for_status()
        posted += 1
    return posted


def _linked_accounts(base: str) -> dict[str, str]:
    """platform -> sandbox account id of the linked client's creators (``DEMO_CONNECTIONS``)."""
    mine = {username for email, username in DEMO_CONNECTIONS if email == LINKED_CLIENT}
    listed = requests.get(f"{base}/_sandbox/accounts", timeout=TIMEOUT)
    listed.raise_for_status()
    return {str(a["platform"]): str(a["id"]) for a in listed.json().get("accounts", []) if a["username"] in mine}


def seed_fans_and_tactics(sandbox_url: str) -> DemoFans:
    """Tactic tags on every demo client's posts and the linked fan (see the module docstring)."""
    out = DemoFans()
    client_ids = list(db.session.scalars(select(Connection.client_id).distinct()))
    out.tagged_posts, out.tags = tag_demo_posts(client_ids)
    base = sandbox_url.rstrip("/")
    try:
        out.link_codes_posted = link_demo_fan(base, _linked_accounts(base))
    except (requests.RequestException, fan_links.BadLink) as exc:
        out.problem = f"linked fan not set up: {type(exc).__name__}"
    return out
