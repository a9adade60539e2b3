"""Instagram stories: ``/me/stories`` (the last 24 hours only), the story node and its insights.

Story insights follow the 2026 reference (platforms-deep-data.md section 1.6): ``views``, ``reach``,
``replies``, ``shares``, ``total_interactions`` (replies + shares), ``follows``, ``profile_visits``,
``profile_activity`` and ``navigation`` (breakdown ``story_navigation_action_type``, lowercase values,
requested alone); ``impressions`` and the 2023 ``taps_forward``/``taps_back``/``exits`` answer ``#100``;
fewer than 5 viewers answers ``code 10``. Once a story is 24 hours old it is gone: the node answers
``100/33`` like any unknown object.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..audience import Story
from ..common import state
from ..util import iso_meta
from ..world import Account
from .shared import GraphError

STORY_METRICS = (
    "views",
    "reach",
    "replies",
    "shares",
    "total_interactions",
    "follows",
    "profile_visits",
    "profile_activity",
    "navigation",
)
REMOVED = {
    "impressions": "(#100) Starting from version v22.0 and for all versions from April 21, 2025, the impressions "
    "metric is no longer supported. Please use the views metric instead.",
    "taps_forward": "(#100) The taps_forward metric is no longer supported. Please use navigation instead.",
    "taps_back": "(#100) The taps_back metric is no longer supported. Please use navigation instead.",
    "exits": "(#100) The exits metric is no longer supported. Please use navigation instead.",
}
NAVIGATION = ("tap_forward", "tap_back", "tap_exit", "swipe_forward")


def find_story(acc: Account, node: str) -> Story | None:
    return next((s for s in acc.live_stories(state().now()) if s.id == node), None)


def stories_edge(acc: Account) -> dict[str, Any]:
    fields = [f.strip() for f in (request.args.get("fields") or "id").split(",") if f.strip()]
    return {"data": [story_node(acc, s, fields) for s in acc.live_stories(state().now())]}


def story_node(acc: Account, story: Story, fields: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields or ["id"]:
        if f == "id":
            out["id"] = story.id
        elif f == "media_type":
            out["media_type"] = story.media_type
        elif f == "media_product_type":
            out["media_product_type"] = "STORY"
        elif f == "timestamp":
            out["timestamp"] = iso_meta(story.published_at)
        elif f == "permalink":
            out["permalink"] = f"https://www.instagram.com/stories/{acc.username}/{story.id}/"
        elif f in ("media_url", "thumbnail_url"):
            out[f] = f"{request.host_url}media/ig/story/{story.id}.jpg"
        elif f == "caption":
            continue  # no caption on this story
        else:
            raise GraphError(f"(#100) Tried accessing nonexisting field ({f}) on node type (ShadowIGMedia)", 100)
    return out


def story_insights(story: Story) -> dict[str, Any]:
    metrics = [m.strip() for m in (request.args.get("metric") or "").split(",") if m.strip()]
    if not metrics:
        raise GraphError("No metric was specified", 3001, 1504028)
    for i, m in enumerate(metrics):
        if m in REMOVED:
            raise GraphError(REMOVED[m], 100)
        if m not in STORY_METRICS:
            raise GraphError(f"(#100) metric[{i}] must be one of the following values: {', '.join(STORY_METRICS)}", 100)
    breakdown = request.args.get("breakdown")
    if breakdown and len(metrics) > 1:
        raise GraphError("An unknown error has occurred.", 1, status=500, transient=False)
    if story.views < 5:
        raise GraphError("(#10) Not enough viewers for the media to show insights", 10)
    data = []
    for m in metrics:
        item: dict[str, Any] = {"name": m, "period": "lifetime"}
        if m == "navigation":
            total = sum(getattr(story, attr) for attr in NAVIGATION)
            item["values"] = [{"value": total}]
            item["total_value"] = {"value": total}
            if breakdown == "story_navigation_action_type":
                item["total_value"]["breakdowns"] = [
                    {
                        "dimension_keys": ["story_navigation_action_type"],
                        "results": [{"dimension_values": [attr], "value": getattr(story, attr)} for attr in NAVIGATION],
                    }
                ]
        elif m == "total_interactions":
            item["values"] = [{"value": story.replies + story.shares}]
        elif m == "profile_activity":
            item["values"] = [{"value": story.profile_visits // 3}]
        else:
            item["values"] = [{"value": getattr(story, m)}]
        item["id"] = f"{story.id}/insights/{m}/lifetime"
        data.append(item)
    return {"data": data}
