"""The comment inbox: one client's comments across platforms, filtered, searched, sorted, paged; read /
archive state; the JSON shape of contract 6.4. Replies and hiding go out through ``comment_replies``.

Every read is scoped by ``client_id``: another client's comment id is a ``NotFound`` (404).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Comment, CommentReply, Connection
from app.models.base import utcnow
from app.models.history import ContentItem
from app.models.platforms import COMMENT_PLATFORMS
from app.platforms.linkedin_org import ORGANIZATION as LINKEDIN_PAGE
from app.platforms.tiktok_business import BUSINESS as TIKTOK_BUSINESS
from app.platforms.tiktok_comments import READ_SCOPE as TT_READ_SCOPE
from app.stats.comments import unanswered_count

STATES = ("all", "unanswered", "answered", "hidden", "archived", "unread")
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "most_liked": "Most liked",
    "unanswered": "Unanswered first",
}
MAX_LIMIT = 100
DEFAULT_LIMIT = 50
#: at most this many ids in one bulk request (a longer list is refused with a 400, nothing done)
MAX_BULK = 100
MAX_QUERY = 200


class TooMany(ValidationFailed):
    status = 400
    code = "too_many_ids"


@dataclass(frozen=True)
class InboxQuery:
    platform: str | None = None
    post: int | None = None
    state: str = "all"
    q: str = ""
    sort: str = "newest"
    since: date | None = None
    until: date | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    phase: str = "o"  # "a": "unanswered first" has reached the answered comments

    def args(self, **changes: Any) -> dict[str, str]:
        """The query as URL arguments (empty ones left out), with ``changes`` applied."""
        raw = {
            "platform": self.platform,
            "post": self.post,
            "state": None if self.state == "all" else self.state,
            "q": self.q or None,
            "sort": None if self.sort == "newest" else self.sort,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        raw.update(changes)
        return {k: str(v) for k, v in raw.items() if v not in (None, "")}


def _date(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a date like 2026-11-30.", field=name) from None


def encode_cursor(offset: int, phase: str = "o") -> str:
    """``o``: an offset in the list; ``a``: an offset among the answered ones ("unanswered first" reads the
    unanswered comments, then the answered ones, each newest first, so each part runs on an index)."""
    return base64.urlsafe_b64encode(f"{phase}:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(raw: str) -> tuple[str, int]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        phase, offset = (text[0], int(text[2:])) if text[:2] in ("o:", "a:") else ("o", -1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        phase, offset = "o", -1
    if not 0 <= offset <= 1_000_000:
        raise ValidationFailed("That page link is not valid; start from the first page.", field="cursor")
    return phase, offset


def parse_query(args: Mapping[str, str]) -> InboxQuery:
    """The inbox query from URL arguments. :raises ValidationFailed: with the field named."""
    platform = args.get("platform") or None
    if platform is not None and platform not in COMMENT_PLATFORMS:
        raise ValidationFailed(f"platform must be one of {', '.join(COMMENT_PLATFORMS)}.", field="platform")
    state = args.get("state") or "all"
    if state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}.", field="state")
    sort = args.get("sort") or "newest"
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}.", field="sort")
    post_raw = args.get("post") or None
    if post_raw is not None and not post_raw.isdigit():
        raise ValidationFailed("post must be a content id.", field="post")
    limit_raw = args.get("limit") or str(DEFAULT_LIMIT)
    if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise ValidationFailed(f"Search at most {MAX_QUERY} characters.", field="q")
    cursor = args.get("cursor")
    phase, offset = _decode_cursor(cursor) if cursor else ("o", 0)
    return InboxQuery(
        platform=platform,
        post=int(post_raw) if post_raw else None,
        state=state,
        q=q,
        sort=sort,
        since=_date(args.get("from"), "from"),
        until=_date(args.get("to"), "to"),
        offset=offset,
        limit=int(limit_raw),
        phase=phase,
    )


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _threads(client_id: int, query: InboxQuery) -> Select[tuple[Comment]]:
    stmt = select(Comment).where(
        Comment.client_id == client_id, Comment.parent_id.is_(None), Comment.from_owner.is_(False)
    )
    if query.platform:
        stmt = stmt.where(Comment.platform == query.platform)
    if query.post is not None:
        stmt = stmt.where(Comment.content_item_id == query.post)
    if query.since:
        stmt = stmt.where(Comment.published_at >= datetime.combine(query.since, time(0), tzinfo=UTC))
    if query.until:
        stmt = stmt.where(Comment.published_at < datetime.combine(query.until + timedelta(days=1), time(0), tzinfo=UTC))
    state = {
        "all": Comment.archived_at.is_(None),
        "unanswered": and_(
            Comment.archived_at.is_(None),
            Comment.answered_at.is_(None),
            Comment.hidden.is_(False),
            Comment.deleted_at_platform.is_(None),
        ),
        "answered": and_(Comment.archived_at.is_(None), Comment.answered_at.is_not(None)),
        "hidden": Comment.hidden.is_(True),
        "archived": Comment.archived_at.is_not(None),
        "unread": and_(Comment.archived_at.is_(None), Comment.read_at.is_(None)),
    }[query.state]
    stmt = stmt.where(state)
    if query.q:
        pattern = _like(query.q)
        stmt = stmt.where(
            or_(
                Comment.text.ilike(pattern, escape="\\"),
                Comment.author_handle.ilike(pattern, escape="\\"),
                Comment.author_name.ilike(pattern, escape="\\"),
            )
        )
    order = {
        "newest": (Comment.published_at.desc(), Comment.id.desc()),
        "oldest": (Comment.published_at.asc(), Comment.id.asc()),
        "most_liked": (Comment.like_count.desc(), Comment.published_at.desc(), Comment.id.desc()),
        "unanswered": (Comment.published_at.desc(), Comment.id.desc()),  # in two parts: see ``_page``
    }[query.sort]
    return stmt.order_by(*order)


def _page(client_id: int, query: InboxQuery) -> tuple[list[Comment], str | None]:
    """One page and the next cursor. "Unanswered first" is the unanswered threads newest first, then the
    answered ones newest first: two index range reads instead of sorting every thread."""
    base = _threads(client_id, query)
    n = query.limit
    if query.sort != "unanswered":
        rows = list(db.session.execute(base.offset(query.offset).limit(n + 1)).scalars())
        return rows[:n], encode_cursor(query.offset + n) if len(rows) > n else None
    answered = base.where(Comment.answered_at.is_not(None))
    if query.phase == "a":
        rows = list(db.session.execute(answered.offset(query.offset).limit(n + 1)).scalars())
        return rows[:n], encode_cursor(query.offset + n, "a") if len(rows) > n else None
    first = list(
        db.session.execute(base.where(Comment.answered_at.is_(None)).offset(query.offset).limit(n + 1)).scalars()
    )
    if len(first) > n:
        return first[:n], encode_cursor(query.offset + n)
    need = n - len(first)
    rest = list(db.session.execute(answered.limit(need + 1)).scalars()) if need else []
    more = len(rest) > need if need else db.session.execute(answered.limit(1)).first() is not None
    return first + rest[:need], encode_cursor(need, "a") if more else None


@dataclass
class InboxPage:
    threads: list[Comment]
    replies: dict[int, list[Comment]]
    posts: dict[int, ContentItem]
    next_cursor: str | None
    unanswered: int
    unread: int
    #: per thread, a reply asked from the portal that is still on its way or failed
    outbox: dict[int, CommentReply] = field(default_factory=dict)


def inbox(client_id: int, query: InboxQuery) -> InboxPage:
    """One page of threads with their replies and posts, and the inbox counts (of the filtered platform)."""
    rows, next_cursor = _page(client_id, query)
    ids = [r.id for r in rows]
    replies: dict[int, list[Comment]] = {}
    if ids:
        for r in db.session.execute(
            select(Comment).where(Comment.parent_id.in_(ids)).order_by(Comment.published_at, Comment.id)
        ).scalars():
            replies.setdefault(r.parent_id or 0, []).append(r)
    outbox: dict[int, CommentReply] = {}
    if ids:  # the newest reply asked from the portal per thread, unless it went out (then it is a reply)
        for reply in db.session.execute(
            select(CommentReply).where(CommentReply.comment_id.in_(ids)).order_by(CommentReply.id)
        ).scalars():
            outbox[reply.comment_id] = reply
        outbox = {k: v for k, v in outbox.items() if v.status != "sent"}
    post_ids = {r.content_item_id for r in rows if r.content_item_id is not None}
    posts = (
        {p.id: p for p in db.session.execute(select(ContentItem).where(ContentItem.id.in_(post_ids))).scalars()}
        if post_ids
        else {}
    )
    # the counts follow the platform filter (the inbox being worked through) and no other filter: state,
    # post, dates and search narrow the list, the counts say what is left to do there
    unread_stmt = (
        select(func.count())  # count(*) over the partial index ix_comments_unread: index-only
        .select_from(Comment)
        .where(
            Comment.client_id == client_id,
            Comment.parent_id.is_(None),
            ~Comment.from_owner,
            Comment.archived_at.is_(None),
            Comment.read_at.is_(None),
        )
    )
    if query.platform:
        unread_stmt = unread_stmt.where(Comment.platform == query.platform)
    unread = db.session.execute(unread_stmt).scalar_one()
    return InboxPage(
        threads=rows,
        replies=replies,
        posts=posts,
        next_cursor=next_cursor,
        outbox=outbox,
        unanswered=unanswered_count(client_id, query.platform),
        unread=int(unread),
    )


def recent_posts(client_id: int, limit: int = 30) -> list[ContentItem]:
    """The posts the post filter offers: the newest ones that have comments."""
    conns = select(Connection.id).where(Connection.client_id == client_id)
    has_comment = select(Comment.id).where(Comment.content_item_id == ContentItem.id).exists()
    return list(
        db.session.execute(
            select(ContentItem)
            .where(ContentItem.connection_id.in_(conns), has_comment)
            .order_by(ContentItem.published_at.desc())
            .limit(limit)
        ).scalars()
    )


def get_comment(client_id: int, comment_id: int) -> Comment:
    """:raises NotFound: missing, or another client's."""
    row = db.session.execute(
        select(Comment).where(Comment.id == comment_id, Comment.client_id == client_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("No such comment.")
    return row


def parse_ids(raw: Any) -> list[int]:
    """The ``ids`` of a bulk request. :raises TooMany: over ``MAX_BULK``; ValidationFailed: not ids."""
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("ids must be a non-empty list of comment ids.", field="ids")
    if len(raw) > MAX_BULK:
        raise TooMany(f"At most {MAX_BULK} comments per request ({len(raw)} sent); nothing was changed.", field="ids")
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in raw):
        raise ValidationFailed("ids must be comment ids (positive whole numbers).", field="ids")
    return list(dict.fromkeys(raw))


def set_state(client_id: int, ids: Sequence[int], action: str) -> tuple[int, list[dict[str, Any]]]:
    """read / unread / archive / unarchive on the client's comments; the rest are ``not_found``."""
    owned = set(
        db.session.execute(select(Comment.id).where(Comment.client_id == client_id, Comment.id.in_(ids))).scalars()
    )
    failed = [{"id": i, "reason": "not_found"} for i in ids if i not in owned]
    if owned:
        now = utcnow()
        choices: dict[str, dict[str, Any]] = {
            "read": {"read_at": now},
            "unread": {"read_at": None},
            "archive": {"archived_at": now, "read_at": now},
            "unarchive": {"archived_at": None},
        }
        values = choices[action]
        stmt = update(Comment).where(Comment.id.in_(owned), Comment.client_id == client_id)
        if action == "read":
            stmt = stmt.where(Comment.read_at.is_(None))
        db.session.execute(stmt.values(**values))
        db.session.commit()
    return len(owned), failed


def comment_json(c: Comment, page: InboxPage | None = None, replies: Sequence[Comment] = ()) -> dict[str, Any]:
    """Contract 6.4's ``C``."""
    post = page.posts.get(c.content_item_id) if page and c.content_item_id is not None else None
    kids = page.replies.get(c.id, []) if page else list(replies)
    out: dict[str, Any] = {
        "id": c.id,
        "platform": c.platform,
        "post": {
            "id": c.content_item_id,
            "caption": post.caption if post else None,
            "permalink": post.permalink if post else None,
        },
        "platform_comment_id": c.platform_id,
        "author": {
            "handle": c.author_handle,
            "name": c.author_name,
            "platform_user_id": c.author_platform_id,
            "is_owner": c.from_owner,
        },
        "text": c.text,
        "published_at": c.published_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "like_count": c.like_count,
        "reply_count": c.reply_count,
        "hidden": c.hidden,
        "liked_by_owner": c.liked_by_owner,
        "pinned": c.pinned,
        "answered": c.answered_at is not None,
        "is_question": c.is_question,
        "read": c.read_at is not None,
        "archived": c.archived_at is not None,
        "deleted_at_platform": c.deleted_at_platform.isoformat() if c.deleted_at_platform else None,
        "replies": [comment_json(r) for r in kids],
    }
    pending = page.outbox.get(c.id) if page else None
    if pending is not None:
        out["reply_status"] = {
            "status": "queued" if pending.status == "sending" else pending.status,
            "error": pending.error,
        }
    return out


def page_json(page: InboxPage) -> dict[str, Any]:
    return {
        "comments": [comment_json(c, page) for c in page.threads],
        "next_cursor": page.next_cursor,
        "counts": {"unanswered": page.unanswered, "unread": page.unread},
    }


#: platforms where only some kinds of account give comments (the others: every account does)
_SOME_ACCOUNTS = ("tiktok", "linkedin")


def has_comments(conn: Connection) -> bool:
    """Whether the app can read this account's comments at all: Instagram professional accounts, YouTube
    channels, Facebook Pages, TikTok *business* accounts (a personal TikTok account is read through the
    Display API, which gives no comments) and LinkedIn *Company Pages* (a member's own posts' comments
    need the restricted ``r_member_social``)."""
    if conn.platform not in COMMENT_PLATFORMS:
        return False
    if conn.platform == "instagram" and (conn.account_type or "").upper() == "PERSONAL":
        return False
    if conn.platform == "linkedin":
        return conn.account_type == LINKEDIN_PAGE
    return not (conn.platform == "tiktok" and conn.account_type != TIKTOK_BUSINESS)


def reads_comments(client_id: int, platform: str) -> bool:
    """Whether the app reads comments of any live ``platform`` account of the client (a personal TikTok
    account or a LinkedIn member alone: no, so its platform page shows no fans section)."""
    if platform not in COMMENT_PLATFORMS:
        return False
    if platform not in _SOME_ACCOUNTS:
        return True
    return any(c.platform == platform for c in comment_connections(client_id))


def comment_connections(client_id: int) -> list[Connection]:
    """The client's live connections whose comments the inbox holds (its grant notices)."""
    rows = db.session.execute(
        select(Connection)
        .where(
            Connection.client_id == client_id,
            Connection.disconnected_at.is_(None),
            Connection.platform.in_(COMMENT_PLATFORMS),
        )
        .order_by(Connection.platform, Connection.id)
    ).scalars()
    # a personal TikTok account, a LinkedIn member: none
    return [c for c in rows if c.platform not in _SOME_ACCOUNTS or has_comments(c)]


#: why a connected platform's comments are not in the inbox, said plainly on the inbox page
NO_COMMENTS_WHY: dict[str, str] = {
    "tiktok": "TikTok gives no comments to apps for personal accounts (its Display API, which reads them, has "
    "none). Connect TikTok as a business account to see its comments here.",
    "linkedin": "LinkedIn gives the comments on your own profile's posts only to apps approved for its "
    "restricted r_member_social permission, and the portal does not read them. Comments on a LinkedIn "
    "Company Page you connect are shown here; your profile posts' comment counts are still in your analytics.",
    "x": "X gives replies to your posts only through its search API, which is not part of the access "
    "we use, and it refuses replies sent by apps unless the post mentioned us. Your X posts' reply counts "
    "are still on your analytics pages.",
}


#: a TikTok business account connected before the app asked ``comment.list``: its comments are not read
TIKTOK_RECONNECT = (
    "This TikTok business account was connected before the portal asked to read its comments; connect it "
    "again (Connected accounts) to see them here."
)


def comments_not_available(client_id: int) -> list[tuple[str, str]]:
    """(platform, reason) for each platform the client has live connections on whose comments the app
    cannot read (docs/comments.md)."""
    held = db.session.execute(
        select(Connection).where(Connection.client_id == client_id, Connection.disconnected_at.is_(None))
    ).scalars()
    out: set[tuple[str, str]] = set()
    for c in held:  # an Instagram personal account is left to the inbox's own grant notice, as before
        if c.platform in NO_COMMENTS_WHY and (c.platform not in COMMENT_PLATFORMS or not has_comments(c)):
            out.add((c.platform, NO_COMMENTS_WHY[c.platform]))
        elif c.platform == "tiktok" and has_comments(c) and TT_READ_SCOPE not in (c.scopes or "").split():
            out.add((c.platform, TIKTOK_RECONNECT))
    return sorted(out)


def comments_by_id(client_id: int, ids: Sequence[int]) -> list[Comment]:
    return list(
        db.session.execute(select(Comment).where(Comment.client_id == client_id, Comment.id.in_(ids))).scalars()
    )


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A spreadsheet must not run a commenter's text as a formula: such cells start with ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def export_rows(client_id: int, query: InboxQuery, limit: int) -> list[dict[str, Any]]:
    """The filtered threads (no paging, at most ``limit``), flat, for CSV / JSON export."""
    rows = db.session.execute(
        _threads(client_id, query)
        .outerjoin(ContentItem, ContentItem.id == Comment.content_item_id)
        .add_columns(ContentItem.permalink)
        .limit(limit)
    ).all()
    out = []
    for c, permalink in rows:
        out.append(
            {
                "id": c.id,
                "platform": c.platform,
                "published_at": c.published_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "author_handle": c.author_handle,
                "author_name": c.author_name,
                "text": c.text,
                "like_count": c.like_count,
                "answered": c.answered_at is not None,
                "hidden": c.hidden,
                "archived": c.archived_at is not None,
                "post_permalink": permalink,
            }
        )
    return out
