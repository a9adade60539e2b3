"""Comment numbers (docs/metrics.md, "Comments"): questions, response rate, response time, per post.

``is_question`` classifies a comment's text when it is stored. The coach's figures are computed by
``comment_health`` over one client's comments published in a period, top-level comments from others only
(the owner's own replies are the answers, not the audience):

* **questions unanswered**: questions (``is_question``) with no reply by the owner, not hidden, not deleted;
* **response rate**: answered / top-level comments, in percent (``None`` without comments);
* **median response time**: the median of ``answered_at - published_at`` over answered comments, in hours;
* **comments per post**: top-level comments / posts that received at least one, over the period.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models.comment import Comment

#: words that open a question in the languages the demo and our clients use most
_OPENERS = re.compile(
    r"^\s*(how|what|where|when|why|who|which|can|could|do|does|did|is|are|will|would|should|any|"
    r"wie|was|wo|wann|warum|como|cómo|qué|que|dónde|donde|cuándo|por qué|comment|où|pourquoi|quand)\b",
    re.IGNORECASE,
)
_MARKS = ("?", "？", "؟")  # Latin, full-width and Arabic question marks


def is_question(text: str) -> bool:
    """A question: a question mark anywhere (Latin, full-width or Arabic), or a question word first."""
    stripped = text.strip()
    if not stripped:
        return False
    return any(m in stripped for m in _MARKS) or bool(_OPENERS.match(stripped))


@dataclass(frozen=True)
class CommentHealth:
    comments: int
    answered: int
    unanswered_questions: int
    response_rate_pct: float | None
    median_response_hours: float | None
    posts_with_comments: int
    comments_per_post: float | None


def comment_health(client_id: int, start: datetime, end: datetime) -> CommentHealth:
    """The coach's comment figures for one client over ``[start, end)`` (by publication time)."""
    base = (
        Comment.client_id == client_id,
        Comment.parent_id.is_(None),
        Comment.from_owner.is_(False),
        Comment.deleted_at_platform.is_(None),
        Comment.published_at >= start,
        Comment.published_at < end,
    )
    rows: Sequence[tuple[datetime, datetime | None, bool, bool, str]] = db.session.execute(
        select(
            Comment.published_at, Comment.answered_at, Comment.is_question, Comment.hidden, Comment.post_platform_id
        ).where(*base)
    ).all()  # type: ignore[assignment]
    total = len(rows)
    hours = [(a - p).total_seconds() / 3600 for p, a, _, _, _ in rows if a is not None and a >= p]
    answered = sum(1 for _, a, _, _, _ in rows if a is not None)
    open_questions = sum(1 for _, a, q, hidden, _ in rows if q and a is None and not hidden)
    posts = len({post for *_, post in rows})
    return CommentHealth(
        comments=total,
        answered=answered,
        unanswered_questions=open_questions,
        response_rate_pct=round(100 * answered / total, 1) if total else None,
        median_response_hours=round(statistics.median(hours), 1) if hours else None,
        posts_with_comments=posts,
        comments_per_post=round(total / posts, 1) if posts else None,
    )


def unanswered_count(client_id: int, platform: str | None = None) -> int:
    """Open top-level comments from others (not archived, not hidden, not deleted) with no owner reply;
    on one ``platform`` only when given (the inbox's platform filter)."""
    stmt = (
        select(func.count())
        .select_from(Comment)
        .where(  # count(*): an index-only scan, also with a platform (the index's second column)
            # the terms of the partial index ix_comments_unanswered, written the same way
            Comment.client_id == client_id,
            Comment.parent_id.is_(None),
            ~Comment.from_owner,
            Comment.archived_at.is_(None),
            Comment.answered_at.is_(None),
            ~Comment.hidden,
            Comment.deleted_at_platform.is_(None),
        )
    )
    if platform:
        stmt = stmt.where(Comment.platform == platform)
    return int(db.session.execute(stmt).scalar_one())
