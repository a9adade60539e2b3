"""What a post's page shows, for the client (``portal.content_page``) and for their coach
(``admin.client_post``): one read, so the coach sees the same reach, saves, shares, watch time and
retention as the client.

The post is looked up among the client's own connections only, so another client's post is a 404
(``content.content_detail`` raises ``NotFound``); the caller has already checked that the user may see
the client (the client itself, or staff through ``clients.get_client_for``).
"""

from __future__ import annotations

from typing import Any

from app.charts.builders import curve_chart
from app.models import Client
from app.services import tactics
from app.stats import content, post_insights, query, tiktok_video, video_insights
from app.stats.overview import client_connections


def context(client: Client, content_id: int) -> dict[str, Any]:
    """The post (``d``), its curve chart, its tactics and its platform's own panel (YouTube watch time
    and retention with tags and category; a TikTok business account's watching and discovery).

    :raises NotFound: for a post not on the client's connections.
    """
    conns = client_connections(client.id, query.parse({}, tz=client.time_zone))
    detail = content.content_detail(conns, content_id)
    platform = detail.post.platform
    return dict(
        d=detail,
        chart=curve_chart("curve-svg", "This post over time", detail.curve, content.counting_changes(detail)),
        tags=tactics.post_tactics(client, content_id),
        tactic_list=tactics.definitions_json(client.coach_id),
        video=video_insights.video_panel(detail.post.id) if platform == "youtube" else None,
        video_tags=video_insights.video_tags(detail.post.id) if platform == "youtube" else None,
        tiktok=tiktok_video.video_panel(detail.post.id) if platform == "tiktok" else None,
        owner=post_insights.owner_panel(detail.post.id, platform),
    )
