"""Stored post thumbnails for the pages (``GET /portal/thumbs/<content id>``), scoped like every other
read of content: a client sees their own posts' thumbnails, staff those of the clients they may see
(:func:`app.services.clients.visible_clients`). The worker stores them (``app/sync/thumbnails.py``)."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import Client, Connection, User
from app.models.history import ContentItem, ContentThumbnail
from app.services.clients import visible_clients

#: browsers keep a thumbnail a week (it never changes once stored; the ETag revalidates after that)
CACHE_SECONDS = 7 * 24 * 3600


def visible_thumbnail(user: User, content_id: int) -> ContentThumbnail:
    """The stored thumbnail of post ``content_id``.

    :raises NotFound: when there is none, or the post is not ``user``'s to see (the same answer).
    """
    client_ids = visible_clients(user).with_only_columns(Client.id)
    thumb = db.session.execute(
        select(ContentThumbnail)
        .join(ContentItem, ContentItem.id == ContentThumbnail.content_item_id)
        .join(Connection, Connection.id == ContentItem.connection_id)
        .where(ContentThumbnail.content_item_id == content_id, Connection.client_id.in_(client_ids))
    ).scalar_one_or_none()
    if thumb is None:
        raise NotFound("No such thumbnail.")
    return thumb
