"""The comments the sandbox platforms hold: one store for Instagram, YouTube, Facebook and TikTok.

Comments are explicit: created through the control API (``POST /_sandbox/accounts/<id>/comments``), by the
owner replying through the platform API, or by the demo world (:func:`seed_comments`). Each has the
platform's id, its post (media / video id), an optional parent (replies are one level deep on both
platforms: a reply to a reply is attached to the top-level comment), its author, text, times, likes and
moderation state. ``hidden`` is Instagram's hide flag; YouTube's ``moderation`` is ``published``,
``heldForReview`` or ``rejected`` (a rejected comment is not listed, nor are its replies). A deleted
comment stays in the store with ``deleted`` set, so ``GET /_sandbox/accounts/<id>/comments`` can show it,
but no platform call finds it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .indexes import CommentStore
from .util import b64chars, digits, iso_z, parse_datetime, rng


@dataclass
class Comment:
    id: str
    account_id: str
    platform: str
    post_id: str
    text: str
    author_handle: str
    author_name: str
    author_id: str
    parent_id: str | None
    like_count: int
    published_at: datetime
    updated_at: datetime
    from_owner: bool = False
    hidden: bool = False
    moderation: str = "published"
    deleted: bool = False
    #: TikTok: hearted by the creator (``liked``) and pinned to the top of the video's comments
    liked: bool = False
    pinned: bool = False

    @property
    def visible(self) -> bool:
        return not self.deleted and self.moderation != "rejected"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "platform": self.platform,
            "post_id": self.post_id,
            "text": self.text,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "author_id": self.author_id,
            "parent_id": self.parent_id,
            "like_count": self.like_count,
            "published_at": self.published_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "from_owner": self.from_owner,
            "hidden": self.hidden,
            "moderation": self.moderation,
            "deleted": self.deleted,
            "liked": self.liked,
            "pinned": self.pinned,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=data["id"],
            account_id=data["account_id"],
            platform=data["platform"],
            post_id=data["post_id"],
            text=data["text"],
            author_handle=data["author_handle"],
            author_name=data["author_name"],
            author_id=data["author_id"],
            parent_id=data.get("parent_id"),
            like_count=int(data["like_count"]),
            published_at=parse_datetime(data["published_at"]),
            updated_at=parse_datetime(data["updated_at"]),
            from_owner=bool(data.get("from_owner")),
            hidden=bool(data.get("hidden")),
            moderation=data.get("moderation", "published"),
            deleted=bool(data.get("deleted")),
            liked=bool(data.get("liked")),
            pinned=bool(data.get("pinned")),
        )

    def control_view(self) -> dict[str, Any]:
        out = self.to_json()
        out["published_at"] = iso_z(self.published_at)
        out["updated_at"] = iso_z(self.updated_at)
        return out


def new_comment_id(platform: str, n: int, parent_id: str | None, post_id: str = "") -> str:
    if platform == "instagram":
        return f"1787{n:013d}"
    if platform == "facebook":  # ``{post}_{comment}``-looking ids, one sequence for comments and replies
        return f"{1_000_000_000 + n}_{n:015d}"
    if platform == "tiktok":  # 19-digit numbers, comments and replies alike
        return f"73{n:017d}"
    if platform == "linkedin":  # ``urn:li:comment:(urn:li:activity:{post},{id})`` (``linkedin/comments.py``)
        return f"urn:li:comment:(urn:li:activity:{post_id.rsplit(':', 1)[-1]},71{n:017d})"
    if parent_id:
        return f"{parent_id}.{b64chars(22, 'reply', n)}"
    return "Ugz" + b64chars(21, "thread", n) + "4AaABAg"


def replies_of(store: dict[str, Comment], comment_id: str) -> list[Comment]:
    """A top-level comment's visible replies, oldest first (both platforms list replies that way).
    ``store``: the state's ``CommentStore`` (its parent index: no scan of every comment) or a plain dict."""
    rows = store.replies(comment_id) if isinstance(store, CommentStore) else store.values()
    return sorted(
        (c for c in rows if c.parent_id == comment_id and c.visible),
        key=lambda c: (c.published_at, c.id),
    )


def top_level(store: dict[str, Comment], account_id: str, post_id: str | None = None) -> list[Comment]:
    """An account's visible top-level comments (on one post, or all), newest first; from the
    ``CommentStore``'s (account, post) or account index when ``store`` is one."""
    rows: Any = store.values()
    if isinstance(store, CommentStore):
        rows = store.on_post(account_id, post_id) if post_id is not None else store.of_account(account_id)
    out = [
        c
        for c in rows
        if c.account_id == account_id
        and c.parent_id is None
        and c.visible
        and (post_id is None or c.post_id == post_id)
    ]
    out.sort(key=lambda c: (c.published_at, c.id), reverse=True)
    return out


# ------------------------------------------------------------------------------------------- demo streams
FANS = (
    ("sunny.days", "Sunny"),
    ("marco_r", "Marco Rossi"),
    ("lea.k", "Léa K."),
    ("fit_with_omar", "Omar"),
    ("yuki.draws", "Yuki 🎨"),
    ("noura", "نورة"),
    ("dan.the.man", "Dan"),
    ("priya.codes", "Priya"),
    ("el_gato", "El Gato"),
    ("mira_m", "Mira"),
    ("tomasz", "Tomasz"),
    ("avi.cohen", "אבי כהן"),
)
TEXTS = (
    "Love this! 😍",
    "How long did this take you?",
    "Where did you get that jacket?",
    "This is exactly what I needed today 🙌",
    "Can you do a tutorial on this?",
    "Best one yet 🔥🔥",
    "ما شاء الله، رائع جدًا",
    "Which app do you use for editing?",
    "Saving this for later",
    "תודה רבה! זה עזר לי מאוד",
    "Is there a part 2?",
    "You inspired me to start 💪",
    "What camera is this?",
    "Haha the ending 😂",
)


def seed_comments(
    store: dict[str, Comment], account: Any, posts: list[Any], now: datetime, next_id: Any, owner_id: str = ""
) -> int:
    """A realistic stream on an account's newest posts: questions, emoji, right-to-left text, some owner
    replies (``owner_id``: who answers, when not the account itself: a LinkedIn Page's URN). Deterministic
    from the account seed; returns how many comments were created."""
    made = 0
    for post in posts[:8]:  # newest first
        r = rng(account.seed, "comments", post.id)
        count = r.randint(2, 7)
        span = max((now - post.published_at).total_seconds(), 600)
        for k in range(count):
            handle, name = FANS[r.randrange(len(FANS))]
            at = post.published_at + timedelta(seconds=span * (k + 1) / (count + 2))
            top = _make(account, post.id, TEXTS[r.randrange(len(TEXTS))], handle, name, None, at, next_id, r)
            if account.platform == "tiktok":  # the creator hearts some, and pins one per video
                top.liked = r.random() < 0.3
                top.pinned = k == 0 and r.random() < 0.5
            store[top.id] = top
            made += 1
            if r.random() < 0.35:
                reply_at = min(at + timedelta(hours=r.randint(1, 20)), now)
                owner = _make(
                    account,
                    post.id,
                    "Thank you! 🙏",
                    account.username,
                    account.display_name,
                    top.id,
                    reply_at,
                    next_id,
                    r,
                )
                owner.from_owner = True
                owner.author_id = owner_id or account.platform_user_id
                store[owner.id] = owner
                made += 1
    return made


def author_id_of(account: Any, handle: str) -> str:
    """One commenter keeps one id on every comment (as the platforms do): an IGSID per handle, a
    Page-scoped id per Page and handle, a TikTok ``unique_identifier`` per app and handle (scoped:
    unconfirmed), a YouTube channel."""
    return {
        "instagram": "1784" + digits(13, "fan", handle),
        "facebook": "7" + digits(15, "psid", account.id, handle),
        "tiktok": "-000" + b64chars(28, "ttfan", handle),
        "linkedin": "urn:li:person:" + b64chars(10, "lifan", handle),  # app-scoped; no name given
    }.get(account.platform) or ("UC" + b64chars(22, "fan", handle))


def _make(
    account: Any,
    post_id: str,
    text: str,
    handle: str,
    name: str,
    parent: str | None,
    at: datetime,
    next_id: Any,
    r: Any,
) -> Comment:
    n = next_id("comment")
    author_id = author_id_of(account, handle)  # the same the control API's crafted comments get
    return Comment(
        id=new_comment_id(account.platform, n, parent, post_id),
        account_id=account.id,
        platform=account.platform,
        post_id=post_id,
        text=text,
        author_handle=handle,
        author_name=name,
        author_id=author_id,
        parent_id=parent,
        like_count=r.randint(0, 30),
        published_at=at,
        updated_at=at,
    )
