"""The platform-neutral record of one comment or reply, as every comment adapter reads it
(``app/platforms/comments.py`` for Instagram, YouTube and Facebook; ``tiktok_comments.py`` for TikTok
business accounts). Its own module so the adapters share it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["PlatformComment"]


@dataclass(frozen=True)
class PlatformComment:
    platform_id: str
    post_id: str
    parent_id: str | None
    text: str
    author_handle: str | None
    author_name: str | None
    author_id: str | None
    author_url: str | None
    published_at: datetime
    updated_at: datetime | None
    like_count: int | None
    reply_count: int | None
    hidden: bool = False
    #: hearted by the account owner (TikTok's ``liked``); other platforms do not say
    liked: bool = False
    #: pinned to the top of the post's comments (TikTok's ``pinned``)
    pinned: bool = False
    #: the platform says the account owner wrote it (TikTok's ``owner``); elsewhere the sync compares ids
    from_owner: bool = False
