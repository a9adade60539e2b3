"""Per-video YouTube Analytics, the Shorts / long-form split and revenue against the sandbox."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.platforms.video_analytics import CURVES, SCOPE_MONETARY, TOP_VIDEOS, youtube_extras
from app.platforms.youtube import YouTubeAdapter
from tests.platforms.conftest import connect
from tests.support.sandbox import SandboxControl

SINCE, UNTIL = date(2025, 1, 1), date(2026, 9, 28)


def test_top_videos_curves_and_content_types(make_adapter: Any, sandbox: SandboxControl) -> None:
    yt = make_adapter("youtube")
    assert isinstance(yt, YouTubeAdapter)
    acc = sandbox.create_account("youtube", "yt.videos", 20_000, seed=31)
    token = connect(sandbox, yt, acc["id"]).access_token
    got = youtube_extras(yt, token, SINCE, UNTIL, frozenset())
    truth = {p["id"]: p for p in sandbox.account(acc["id"], posts=True)["posts"]}
    assert 0 < len(got.videos) <= TOP_VIDEOS
    views = [v.views for v in got.videos.values()]
    assert views == sorted(views, reverse=True)  # -views
    curved = [vid for vid, v in got.videos.items() if v.retention]
    assert curved == list(got.videos)[:CURVES]
    for vid in curved:
        points = dict(got.videos[vid].retention)
        p = truth[vid]["avg_view_pct"] / 100
        assert points[0.5] == round(p, 4)  # the sandbox's line p * (1.5 - elapsed) at half way
        assert len(points) == 100
    kinds = {p["kind"] for p in truth.values()}
    assert set(got.content_types) == {{"short": "shorts", "video": "long_form"}[k] for k in kinds}
    assert got.revenue is None  # not asked for without the monetary scope
    assert got.failed == []


def test_revenue_only_with_the_monetary_scope(make_adapter: Any, sandbox: SandboxControl) -> None:
    yt = make_adapter("youtube")
    assert isinstance(yt, YouTubeAdapter)
    acc = sandbox.create_account("youtube", "yt.money", 20_000, seed=32)
    plain = connect(sandbox, yt, acc["id"]).access_token
    # the connection says the scope was granted, but the token has none (taken back): noted, nothing lost
    taken_back = youtube_extras(yt, plain, SINCE, UNTIL, frozenset({SCOPE_MONETARY}))
    assert taken_back.revenue is None
    assert taken_back.failed == ["revenue"]
    assert taken_back.videos
    yt.scopes = (*yt.scopes, SCOPE_MONETARY)
    money = connect(sandbox, yt, acc["id"]).access_token
    got = youtube_extras(yt, money, SINCE, UNTIL, frozenset({SCOPE_MONETARY}))
    total_views = sum(c["views"] for c in got.content_types.values())
    assert got.revenue == round(total_views * 2.5 / 1000, 3)  # the sandbox pays 2.50 per 1,000 views
