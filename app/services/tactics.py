"""Tactic tags on posts and the coach's own tactics (docs/metrics.md, "Tactics"; docs/api.md).

A client tags their own posts; their coach (or an admin) tags them from the CRM. Another client's post is
a 404. Input is bounded: at most ``MAX_TACTICS_PER_POST`` tags per post, only tactics on the client's list
(the built-ins plus their coach's own), names of at most 40 characters without control characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from app.errors import NotFound, ServiceError
from app.extensions import db
from app.models import Client, Connection, ContentItem, ContentTactic, Tactic
from app.stats import scoping
from app.stats import tactics as stats
from app.stats.content import Post
from app.stats.query import StatsQuery

MAX_COACH_TACTICS = 30
MAX_KEYWORDS = 10
MAX_NAME = 40
MAX_KEYWORD = 30


class BadTactics(ServiceError):
    """Tactic input that cannot be stored; nothing was changed."""

    status = 400
    code = "bad_tactics"


def _shown(value: object) -> str:
    """A short, quoted echo of a bad value for a message (never the whole of a hostile input)."""
    return repr(str(value)[:30])


def client_item(client: Client, content_id: int) -> ContentItem:
    """The client's own post; any other id (another client's, missing) is a 404."""
    item = db.session.scalar(
        select(ContentItem)
        .join(Connection, Connection.id == ContentItem.connection_id)
        .where(ContentItem.id == content_id, Connection.client_id == client.id)
    )
    if item is None:
        raise NotFound("No such post.")
    return item


def parse_tags(raw: object, defs: list[stats.TacticDef]) -> list[str]:
    """Tactic slugs from a request body's ``tactics`` (slugs or names, case ignored), de-duplicated.

    :raises BadTactics: not a list, too many, not strings, or not on the client's list.
    """
    if not isinstance(raw, list):
        raise BadTactics("tactics must be a list of tactic names.", field="tactics")
    if len(raw) > stats.MAX_TACTICS_PER_POST:
        raise BadTactics(
            f"A post takes at most {stats.MAX_TACTICS_PER_POST} tactics ({len(raw)} sent).", field="tactics"
        )
    known = {d.slug: d.slug for d in defs} | {d.name.lower(): d.slug for d in defs}
    out: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            raise BadTactics("Each tactic must be a name (text).", field="tactics")
        slug = known.get(value.strip().lower())
        if slug is None:
            raise BadTactics(f"Unknown tactic {_shown(value)}: add it to the tactic list first.", field="tactics")
        if slug not in out:
            out.append(slug)
    return out


def set_tags(client: Client, content_id: int, raw: object, user_id: int | None) -> list[str]:
    """Replace a post's tactic tags; returns the stored slugs, sorted."""
    item = client_item(client, content_id)  # 404 before judging the body
    slugs = parse_tags(raw, stats.definitions(client.coach_id))
    db.session.execute(delete(ContentTactic).where(ContentTactic.content_item_id == item.id))
    db.session.add_all(ContentTactic(content_item_id=item.id, tactic=s, tagged_by=user_id) for s in slugs)
    db.session.commit()
    return sorted(slugs)


@dataclass(frozen=True)
class PostTactics:
    tactics: list[str]
    suggested: list[str]


def post_tactics(client: Client, content_id: int) -> PostTactics:
    """A post's tags and the tactics its caption and hashtags suggest (not yet tagged)."""
    item = client_item(client, content_id)
    defs = stats.definitions(client.coach_id)
    tags = stats.tags_of([item.id]).get(item.id, [])
    hint = stats.suggest(f"{item.title or ''} {item.caption or ''}", item.hashtags or [], item.kind, defs)
    return PostTactics(tags, [s for s in hint if s not in tags])


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_NAME]


def _clean_name(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise BadTactics("Give the tactic a name.", field="name")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME:
        raise BadTactics(f"A tactic name has at most {MAX_NAME} characters.", field="name")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise BadTactics("A tactic name cannot contain control characters.", field="name")
    return name


def _clean_keywords(raw: object) -> list[str]:
    if raw is None or raw == "":
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(k, str) for k in items):
        raise BadTactics("keywords must be a list of words (or one comma-separated text).", field="keywords")
    words = [" ".join(k.lower().lstrip("#").split()) for k in items]
    words = [w for w in dict.fromkeys(words) if w]
    if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
        raise BadTactics(f"At most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters each.", field="keywords")
    return words


def add_tactic(coach_id: int | None, raw_name: object, raw_keywords: object) -> Tactic:
    """Add a tactic to a coach's list.

    :raises BadTactics: no coach, a bad name or keywords, a name already on the list, the list full.
    """
    if coach_id is None:
        raise BadTactics("This client has no coach: assign one to extend the tactic list.")
    name = _clean_name(raw_name)
    keywords = _clean_keywords(raw_keywords)
    slug = slugify(name)
    if not slug:
        raise BadTactics("A tactic name needs at least one letter or digit (a-z, 0-9).", field="name")
    if any(d.slug == slug or d.name.lower() == name.lower() for d in stats.definitions(coach_id)):
        raise BadTactics(f"{_shown(name)} is already on the list.", field="name")
    count = db.session.scalar(select(func.count()).select_from(Tactic).where(Tactic.coach_id == coach_id)) or 0
    if count >= MAX_COACH_TACTICS:
        raise BadTactics(f"The list holds at most {MAX_COACH_TACTICS} tactics of your own.")
    row = Tactic(coach_id=coach_id, slug=slug, name=name, keywords=keywords)
    db.session.add(row)
    db.session.commit()
    return row


def report(client: Client, query: StatsQuery, posts: Sequence[Post] | None = None) -> list[stats.TacticRow]:
    """The client's tactics over the query's period (and platform, when one is chosen). ``posts``: the
    period's posts when the caller has read them already (``ClientOverview.posts`` of the same query
    and a period with a start), so they are not read twice."""
    defs = stats.definitions(client.coach_id)
    if posts is not None:
        return stats.tactic_rows(stats.with_tags(posts), defs)
    conns = db.session.scalars(scoping.connections_query([client.id], query)).all()
    return stats.tactic_rows(stats.load_tagged(conns, query.period), defs)


def comparison_json(c: stats.Comparison) -> dict[str, object]:
    return {
        "posts": c.posts,
        "median_engagement": c.median_engagement,
        "baseline_posts": c.baseline_posts,
        "baseline_engagement": c.baseline_engagement,
        "lift_pct": c.lift_pct,
        "median_views": c.median_views,
        "baseline_views": c.baseline_views,
        "views_lift_pct": c.views_lift_pct,
        "note": c.note,
    }


def rows_json(rows: list[stats.TacticRow]) -> list[dict[str, object]]:
    """Contract 6.4's ``tactics`` items, with the per-platform figures beside the combined ones."""
    return [
        {
            "name": r.name,
            "slug": r.slug,
            **comparison_json(r.overall),
            "by_platform": {k: comparison_json(v) for k, v in r.by_platform.items()},
        }
        for r in rows
    ]


def definitions_json(coach_id: int | None) -> list[dict[str, object]]:
    return [
        {"slug": d.slug, "name": d.name, "keywords": list(d.keywords), "builtin": d.builtin}
        for d in stats.definitions(coach_id)
    ]


def recent_posts(client: Client, query: StatsQuery, limit: int = 50) -> list[stats.TaggedPost]:
    """The period's posts (newest first, at most ``limit``) with their tags, for the CRM's tagging form."""
    conns = db.session.scalars(scoping.connections_query([client.id], query)).all()
    return stats.load_tagged(conns, query.period)[:limit]
