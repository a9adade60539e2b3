"""Posts of a period: top content, the content table, best posting time and best hashtags."""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import Connection, ContentItem, ContentMetricSnapshot, ContentThumbnail
from app.models.platforms import PLATFORM_NAMES
from app.stats import methodology
from app.stats.engagement import interactions, post_rate
from app.stats.methodology import MethodologyChange
from app.stats.query import BadQuery, Period, StatsQuery, day_start

VIDEO_KINDS = frozenset({"reel", "video", "short"})
MIN_POSTS_PER_BLOCK = 3
MIN_POSTS_PER_HASHTAG = 2
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CONTENT_SORTS = {"newest": "Newest", "engaged": "Most engaged", "views": "Most viewed"}
CONTENT_KINDS = ("image", "carousel", "reel", "video", "short", "story", "post")


@dataclass(frozen=True)
class Post:
    """A post with the numbers pages show; ``rate`` is the post engagement rate (%)."""

    id: int
    platform: str
    platform_name: str
    username: str | None
    kind: str
    caption: str
    permalink: str | None
    published_at: datetime
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    reach: int | None
    interactions: int
    followers_at_measure: int | None
    rate: float | None
    hashtags: tuple[str, ...]
    #: a thumbnail is stored (served at ``/portal/thumbs/<id>``); else the page shows a placeholder
    thumb: bool = False
    #: the connection the post was published on (0: not known)
    connection_id: int = 0

    @property
    def headline_label(self) -> str:
        return "views" if self.kind in VIDEO_KINDS else "likes"

    @property
    def headline(self) -> int | None:
        """Likes for images, views for videos (docs/metrics.md, "Top content")."""
        return self.views if self.kind in VIDEO_KINDS else self.likes


def to_post(item: ContentItem, conn: Connection, thumb: bool = False) -> Post:
    text = item.title or item.caption or ""
    return Post(
        id=item.id,
        platform=conn.platform,
        platform_name=PLATFORM_NAMES.get(conn.platform, conn.platform),
        username=conn.username,
        kind=item.kind,
        caption=text,
        permalink=item.permalink,
        published_at=item.published_at,
        views=item.views,
        likes=item.likes,
        comments=item.comments,
        shares=item.shares,
        saves=item.saves,
        reach=item.reach,
        interactions=interactions(item, conn.platform),
        followers_at_measure=item.followers_at_measure,
        rate=post_rate(item, conn.platform),
        hashtags=tuple(str(h) for h in (item.hashtags or [])),
        thumb=thumb,
        connection_id=item.connection_id,
    )


def load_posts(connections: Sequence[Connection], period: Period) -> list[Post]:
    """Posts published in ``(start, end]`` (UTC days) on the given connections, newest first."""
    if not connections:
        return []
    by_id = {c.id: c for c in connections}
    stmt = (
        select(ContentItem, ContentThumbnail.content_item_id)
        .outerjoin(ContentThumbnail, ContentThumbnail.content_item_id == ContentItem.id)
        .where(ContentItem.connection_id.in_(list(by_id)), ContentItem.published_at < day_start(period.end) + _ONE_DAY)
    )
    if period.start is not None:
        stmt = stmt.where(ContentItem.published_at >= day_start(period.start) + _ONE_DAY)
    rows = db.session.execute(stmt.order_by(ContentItem.published_at.desc(), ContentItem.id.desc())).all()
    return [to_post(i, by_id[i.connection_id], thumb=t is not None) for i, t in rows]


_ONE_DAY = datetime(2000, 1, 2, tzinfo=UTC) - datetime(2000, 1, 1, tzinfo=UTC)


def top_content(posts: Sequence[Post], limit: int = 5) -> list[Post]:
    """Posts ranked by post engagement rate (posts without a rate last), newest first on ties."""
    ranked = sorted(posts, key=lambda p: (p.rate is not None, p.rate or 0.0, p.published_at), reverse=True)
    return ranked[:limit]


def views_or_reach(posts: Sequence[Post]) -> int:
    """Summed views of ``posts``, counting a post's reach where it has no views (``reach`` metric)."""
    return sum((p.views or p.reach or 0) for p in posts)


def filter_posts(posts: Sequence[Post], query: StatsQuery) -> list[Post]:
    """The content table: type, keyword/hashtag search and sort from the query's filters.

    :raises BadQuery: unknown type or sort.
    """
    kind, q, sort = query.filter("type"), query.filter("q").lower(), query.filter("sort", "newest")
    if kind and kind not in CONTENT_KINDS:
        raise BadQuery(f"Unknown content type: use one of {', '.join(CONTENT_KINDS)}.")
    if sort not in CONTENT_SORTS:
        raise BadQuery(f"Unknown sort: use one of {', '.join(CONTENT_SORTS)}.")
    out = [p for p in posts if (not kind or p.kind == kind)]
    if q:
        tag = q.lstrip("#")
        out = [p for p in out if q in p.caption.lower() or any(tag == h.lower().lstrip("#") for h in p.hashtags)]
    if sort == "engaged":
        out.sort(key=lambda p: (p.rate is not None, p.rate or 0.0), reverse=True)
    elif sort == "views":
        out.sort(key=lambda p: p.views or 0, reverse=True)
    return out


@dataclass(frozen=True)
class HeatCell:
    weekday: int
    block: int  # 0..11, 2-hour blocks starting at 00:00 local time
    posts: int
    median_rate: float | None  # None under MIN_POSTS_PER_BLOCK posts


@dataclass(frozen=True)
class BestTimes:
    tz: str
    cells: tuple[tuple[HeatCell, ...], ...]  # [weekday][block]
    best: HeatCell | None
    max_rate: float

    @property
    def has_data(self) -> bool:
        return self.best is not None

    def level(self, cell: HeatCell) -> int | None:
        """The heat table's shade, 1-4 relative to the best block (None: too few posts to rate)."""
        if cell.median_rate is None or not self.max_rate:
            return None
        return max(1, min(4, math.ceil(cell.median_rate / self.max_rate * 4)))


def best_posting_time(posts: Sequence[Post], tz: str) -> BestTimes:
    """Median post ER by weekday x 2-hour block in the client's time zone, over blocks with >= 3 posts."""
    zone = ZoneInfo(tz or "UTC")
    buckets: dict[tuple[int, int], list[float]] = defaultdict(list)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for p in posts:
        local = p.published_at.astimezone(zone)
        key = (local.weekday(), local.hour // 2)
        counts[key] += 1
        if p.rate is not None:
            buckets[key].append(p.rate)
    rows = []
    best: HeatCell | None = None
    for wd in range(7):
        row = []
        for b in range(12):
            rates = buckets.get((wd, b), [])
            med = statistics.median(rates) if len(rates) >= MIN_POSTS_PER_BLOCK else None
            cell = HeatCell(wd, b, counts.get((wd, b), 0), med)
            if med is not None and (best is None or med > (best.median_rate or 0)):
                best = cell
            row.append(cell)
        rows.append(tuple(row))
    return BestTimes(tz=tz or "UTC", cells=tuple(rows), best=best, max_rate=best.median_rate or 0 if best else 0)


@dataclass(frozen=True)
class HashtagStat:
    tag: str
    posts: int
    median_rate: float


def best_hashtags(posts: Sequence[Post], limit: int = 10) -> list[HashtagStat]:
    """Hashtags used in at least 2 posts with a rate, ranked by the median rate of those posts."""
    rates: dict[str, list[float]] = defaultdict(list)
    for p in posts:
        if p.rate is None:
            continue
        for tag in {h.lower().lstrip("#") for h in p.hashtags if h.strip("# ")}:
            rates[tag].append(p.rate)
    stats = [HashtagStat(t, len(r), statistics.median(r)) for t, r in rates.items() if len(r) >= MIN_POSTS_PER_HASHTAG]
    stats.sort(key=lambda s: (s.median_rate, s.posts), reverse=True)
    return stats[:limit]


@dataclass(frozen=True)
class ContentDetail:
    post: Post
    curve: tuple[tuple[date, int | None, int | None, int | None], ...]  # day, views, likes, interactions


def content_detail(connections: Sequence[Connection], content_id: int) -> ContentDetail:
    """One post and its metric curve from its daily metric snapshots.

    :raises NotFound: for a post not on these connections (another client's post is a 404).
    """
    by_id = {c.id: c for c in connections}
    item = db.session.get(ContentItem, content_id)
    if item is None or item.connection_id not in by_id:
        raise NotFound("No such post.")
    conn = by_id[item.connection_id]
    snaps = db.session.execute(
        select(ContentMetricSnapshot)
        .where(ContentMetricSnapshot.content_item_id == item.id)
        .order_by(ContentMetricSnapshot.day)
    ).scalars()
    curve = tuple((s.day, s.views, s.likes, interactions(s, conn.platform)) for s in snaps)
    thumb = db.session.execute(
        select(ContentThumbnail.content_item_id).where(ContentThumbnail.content_item_id == item.id)
    ).first()
    return ContentDetail(post=to_post(item, conn, thumb=thumb is not None), curve=curve)


def engagement_by_platform(posts: Sequence[Post]) -> dict[str, float | None]:
    """Mean post engagement rate per platform (docs/metrics.md: an account's rate over a period)."""
    rates: dict[str, list[float]] = defaultdict(list)
    seen: dict[str, None] = {}
    for p in posts:
        seen[p.platform] = None
        if p.rate is not None:
            rates[p.platform].append(p.rate)
    return {pl: (statistics.fmean(rates[pl]) if rates[pl] else None) for pl in seen}


_WORD_RE = re.compile(r"[^\W\d_][\w'’-]{3,}", re.UNICODE)
STOPWORDS = frozenset(
    [
        "this",
        "that",
        "with",
        "from",
        "your",
        "have",
        "just",
        "what",
        "when",
        "will",
        "more",
        "about",
        "they",
        "them",
        "then",
        "than",
        "were",
        "been",
        "into",
        "over",
        "only",
        "some",
        "very",
        "here",
        "there",
        "their",
        "which",
        "would",
        "could",
        "should",
        "after",
        "before",
        "these",
        "those",
        "post",
        "video",
        "today",
        "new",
        "like",
        "make",
        "made",
        "much",
        "many",
        "most",
        "also",
        "because",
        "while",
        "where",
        "being",
        "other",
    ]
)


def best_keywords(posts: Sequence[Post], limit: int = 5) -> list[HashtagStat]:
    """Caption words (4+ letters, not stop words or hashtags) in at least 2 posts with a rate, ranked by
    the median rate of those posts: the content theme when a client does not use hashtags."""
    rates: dict[str, list[float]] = defaultdict(list)
    for p in posts:
        if p.rate is None:
            continue
        text = re.sub(r"[#@]\w+", " ", p.caption)
        for word in {w.lower() for w in _WORD_RE.findall(text)}:
            if word not in STOPWORDS:
                rates[word].append(p.rate)
    stats = [HashtagStat(t, len(r), statistics.median(r)) for t, r in rates.items() if len(r) >= MIN_POSTS_PER_HASHTAG]
    stats.sort(key=lambda s: (s.median_rate, s.posts, s.tag), reverse=True)
    return stats[:limit]


@dataclass(frozen=True)
class Theme:
    label: str  # "#tutorial" or "tutorial"
    source: str  # "hashtag" | "keyword"
    posts: int
    median_rate: float


def best_theme(posts: Sequence[Post]) -> Theme | None:
    """The best performing content theme: the top hashtag, else the top caption keyword, else None."""
    tags = best_hashtags(posts, 1)
    if tags:
        return Theme(f"#{tags[0].tag}", "hashtag", tags[0].posts, tags[0].median_rate)
    words = best_keywords(posts, 1)
    if words:
        return Theme(words[0].tag, "keyword", words[0].posts, words[0].median_rate)
    return None


def counting_changes(detail: ContentDetail) -> list[MethodologyChange]:
    """The platform's changes in how views are counted that fall inside the post's measured curve."""
    if len(detail.curve) < 2:
        return []
    return methodology.crossed([detail.post.platform], "views", detail.curve[0][0], detail.curve[-1][0])
