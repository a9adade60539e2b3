"""Audience reads against the sandbox: Instagram demographics/online hours/stories, YouTube audience
reports, and a retired Analytics metric dropped alone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.platforms.analytics_query import report_without_unknown
from app.platforms.audience import instagram_audience, instagram_stories, youtube_audience
from app.platforms.errors import InvalidRequest
from app.platforms.instagram import InstagramAdapter
from app.platforms.youtube import ANALYTICS_API, YouTubeAdapter
from tests.platforms.conftest import connect
from tests.support.sandbox import SandboxControl


def test_instagram_audience_and_stories(make_adapter: Any, sandbox: SandboxControl) -> None:
    ig = make_adapter("instagram")
    assert isinstance(ig, InstagramAdapter)
    acc = sandbox.create_account("instagram", "ig.aud", 2_000, seed=21, account_type="BUSINESS")
    sandbox.patch_account(acc["id"], audience={"gender": {"female": 25, "male": 75}, "online_hours": {"9": 50}})
    token = connect(sandbox, ig, acc["id"]).access_token
    raw = instagram_audience(ig, token, date(2026, 10, 15))
    assert raw.breakdowns["gender"] == {"female": 500.0, "male": 1500.0}  # followers, not shares
    assert raw.online_hours["9"] == 1000.0  # 50 % of 2,000, the same every counted day
    assert raw.failed == []
    sandbox._call("POST", f"accounts/{acc['id']}/stories", json={"views": 100, "tap_exit": 7})
    [story] = instagram_stories(ig, token)
    assert story.metrics["views"] == 100
    assert story.metrics["tap_exit"] == 7
    assert story.note is None


def test_youtube_audience_and_a_retired_metric(make_adapter: Any, sandbox: SandboxControl) -> None:
    yt = make_adapter("youtube")
    assert isinstance(yt, YouTubeAdapter)
    acc = sandbox.create_account("youtube", "yt.aud", 20_000, seed=22)
    sandbox.patch_account(acc["id"], audience={"age": {"18-24": 25, "65+": 75}, "gender": {"female": 100}})
    token = connect(sandbox, yt, acc["id"]).access_token
    raw = youtube_audience(yt, token, date(2026, 9, 1), date(2026, 9, 28))
    assert raw.breakdowns["age"] == {"18-24": 25.0, "65+": 75.0}  # "age65-" reads "65+"
    assert raw.breakdowns["gender"] == {"female": 100.0}
    assert set(raw.breakdowns) == {"age", "gender", "countries", "traffic_sources", "devices"}
    params = {"ids": "channel==MINE", "startDate": "2026-09-01", "endDate": "2026-09-30"}
    body = report_without_unknown(
        lambda p: yt._get(ANALYTICS_API, token, p), {**params, "metrics": "views,retiredMetric,likes"}
    )
    assert [h["name"] for h in body["columnHeaders"]] == ["views", "likes"]
    with pytest.raises(InvalidRequest):  # nothing left to ask for: the error stands
        report_without_unknown(lambda p: yt._get(ANALYTICS_API, token, p), {**params, "metrics": "retiredMetric"})
