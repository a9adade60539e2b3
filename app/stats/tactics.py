"""Tactics (docs/metrics.md, "Tactics"): which tagged tactics move a client's numbers.

A post is tagged with tactics by the client or their coach (``ContentTactic``). For each tactic over a
period, its tagged posts are compared with the **account's own baseline**: the other posts of the same
accounts and formats (connection and kind) published in the same period, not tagged with that tactic.

* **median engagement**: the median post engagement rate of the tagged posts (posts with a rate);
* **baseline engagement**: the median rate of the baseline posts;
* **lift**: (median - baseline) / baseline x 100, one decimal; None (with a note) when fewer than
  ``MIN_POSTS`` tagged or baseline posts have a rate, or the baseline is 0;
* the same three for **views** over posts with a view count.

Each tactic also has the same figures per platform (``by_platform``): a YouTube post is only ever compared
with other YouTube posts of the same channel, and YouTube's figures stay beside the combined ones.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Connection, ContentItem, ContentTactic, Tactic
from app.stats.content import Post, to_post
from app.stats.query import Period, day_start

MIN_POSTS = 3
MAX_TACTICS_PER_POST = 10


@dataclass(frozen=True)
class TacticDef:
    slug: str
    name: str
    #: caption words / hashtags (lower case) that suggest it
    keywords: tuple[str, ...]
    #: formats that suggest it on their own keywords only (empty: any format)
    kinds: tuple[str, ...] = ()
    builtin: bool = True


BUILTIN: tuple[TacticDef, ...] = (
    TacticDef("collab", "Collab", ("collab", "collaboration", "feat", "ft", "duet", "guest")),
    TacticDef("trend-audio", "Trend audio", ("trend", "trending", "trendingaudio", "sound", "audio", "remix")),
    TacticDef("hook-3s", "Hook in first 3 s", ("wait for it", "watch till the end", "stop scrolling", "pov")),
    TacticDef(
        "carousel-tutorial",
        "Carousel tutorial",
        ("how to", "tutorial", "step by step", "steps", "guide", "tips", "swipe"),
        kinds=("carousel",),
    ),
    TacticDef("behind-the-scenes", "Behind the scenes", ("bts", "behind the scenes", "behindthescenes", "day in")),
    TacticDef("qa", "Q&A", ("q&a", "qa", "ask me", "you asked", "questions")),
    TacticDef("giveaway", "Giveaway", ("giveaway", "win", "contest")),
)


def definitions(coach_id: int | None) -> list[TacticDef]:
    """The built-in tactics, then the coach's own in the order they were added."""
    defs = list(BUILTIN)
    if coach_id is None:
        return defs
    rows = db.session.scalars(select(Tactic).where(Tactic.coach_id == coach_id).order_by(Tactic.id)).all()
    defs += [TacticDef(r.slug, r.name, tuple(r.keywords or ()), builtin=False) for r in rows]
    return defs


def _words(text: str) -> str:
    """Lower-cased words of ``text`` separated by single spaces and padded, for whole-word matching."""
    return " " + " ".join(re.findall(r"[\w&]+", text.lower())) + " "


def suggest(caption: str, hashtags: Iterable[str], kind: str, defs: Sequence[TacticDef]) -> list[str]:
    """Slugs whose keywords appear as whole words in the caption or as a hashtag (``#`` and case ignored).

    A tactic with ``kinds`` is suggested only for those formats (a carousel tutorial is a carousel).
    """
    words = _words(caption)
    tags = {h.lower().lstrip("#") for h in hashtags}
    out = []
    for d in defs:
        if d.kinds and kind not in d.kinds:
            continue
        if any(_words(k) in words or k.replace(" ", "") in tags for k in d.keywords):
            out.append(d.slug)
    return out


@dataclass(frozen=True)
class Comparison:
    posts: int
    median_engagement: float | None
    baseline_posts: int
    baseline_engagement: float | None
    lift_pct: float | None
    median_views: float | None
    baseline_views: float | None
    views_lift_pct: float | None
    note: str | None


@dataclass(frozen=True)
class TacticRow:
    slug: str
    name: str
    overall: Comparison
    by_platform: dict[str, Comparison]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _lift(tagged: Sequence[float], base: Sequence[float]) -> float | None:
    if len(tagged) < MIN_POSTS or len(base) < MIN_POSTS:
        return None
    b = statistics.median(base)
    return round((statistics.median(tagged) - b) / b * 100, 1) if b else None


def compare(tagged: Sequence[Post], baseline: Sequence[Post]) -> Comparison:
    """One tactic's tagged posts against their baseline posts (docs/metrics.md, "Tactics")."""
    t_rates = [p.rate for p in tagged if p.rate is not None]
    b_rates = [p.rate for p in baseline if p.rate is not None]
    t_views = [float(p.views) for p in tagged if p.views is not None]
    b_views = [float(p.views) for p in baseline if p.views is not None]
    note = None
    if len(t_rates) < MIN_POSTS or len(b_rates) < MIN_POSTS:
        note = (
            f"Too few posts to compare: {len(t_rates)} tagged and {len(b_rates)} other posts of the same accounts "
            f"and formats with an engagement rate ({MIN_POSTS} of each needed)."
        )
    med, base = _median(t_rates), _median(b_rates)
    return Comparison(
        posts=len(tagged),
        median_engagement=round(med, 2) if med is not None else None,
        baseline_posts=len(baseline),
        baseline_engagement=round(base, 2) if base is not None else None,
        lift_pct=_lift(t_rates, b_rates),
        median_views=_median(t_views),
        baseline_views=_median(b_views),
        views_lift_pct=_lift(t_views, b_views),
        note=note,
    )


@dataclass(frozen=True)
class TaggedPost:
    post: Post
    connection_id: int
    tactics: frozenset[str]


def tactic_rows(posts: Sequence[TaggedPost], defs: Sequence[TacticDef]) -> list[TacticRow]:
    """Every tactic used on at least one post of ``posts`` (one period), best lift first (no lift last)."""
    names = {d.slug: d.name for d in defs}
    used = sorted({t for p in posts for t in p.tactics})
    rows = []
    for slug in used:
        tagged = [p for p in posts if slug in p.tactics]
        groups = {(p.connection_id, p.post.kind) for p in tagged}
        base = [p for p in posts if slug not in p.tactics and (p.connection_id, p.post.kind) in groups]
        per: dict[str, tuple[list[Post], list[Post]]] = defaultdict(lambda: ([], []))
        for p in tagged:
            per[p.post.platform][0].append(p.post)
        for p in base:
            per[p.post.platform][1].append(p.post)
        rows.append(
            TacticRow(
                slug=slug,
                name=names.get(slug, slug),
                overall=compare([p.post for p in tagged], [p.post for p in base]),
                by_platform={k: compare(t, b) for k, (t, b) in sorted(per.items())},
            )
        )
    rows.sort(key=lambda r: (r.overall.lift_pct is not None, r.overall.lift_pct or 0.0, r.overall.posts), reverse=True)
    return rows


def best_theme(rows: Sequence[TacticRow]) -> TacticRow | None:
    """The best performing content theme: the tactic with the largest positive lift, if any."""
    lifted = [r for r in rows if r.overall.lift_pct is not None and r.overall.lift_pct > 0]
    return lifted[0] if lifted else None


def load_tagged(connections: Sequence[Connection], period: Period) -> list[TaggedPost]:
    """Posts published in ``(start, end]`` on ``connections`` with their tactic tags, newest first."""
    if not connections:
        return []
    by_id = {c.id: c for c in connections}
    stmt = select(ContentItem).where(
        ContentItem.connection_id.in_(list(by_id)),
        ContentItem.published_at < day_start(period.end) + _ONE_DAY,
    )
    if period.start is not None:
        stmt = stmt.where(ContentItem.published_at >= day_start(period.start) + _ONE_DAY)
    items = db.session.scalars(stmt.order_by(ContentItem.published_at.desc(), ContentItem.id.desc())).all()
    tags = tags_of([i.id for i in items])
    return [
        TaggedPost(to_post(i, by_id[i.connection_id]), i.connection_id, frozenset(tags.get(i.id, ()))) for i in items
    ]


def with_tags(posts: Sequence[Post]) -> list[TaggedPost]:
    """``posts`` (read by ``content.load_posts``: one period, newest first) with their tactic tags: what
    ``load_tagged`` returns for the same connections and period, without reading the posts again."""
    tags = tags_of([p.id for p in posts])
    return [TaggedPost(p, p.connection_id, frozenset(tags.get(p.id, ()))) for p in posts]


def tags_of(item_ids: Sequence[int]) -> dict[int, list[str]]:
    """Tactic slugs per post id, sorted."""
    out: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start : start + 500])
        for item_id, slug in db.session.execute(
            select(ContentTactic.content_item_id, ContentTactic.tactic)
            .where(ContentTactic.content_item_id.in_(chunk))
            .order_by(ContentTactic.tactic)
        ):
            out[item_id].append(slug)
    return out


_ONE_DAY = timedelta(days=1)
