"""The sandbox's YouTube per-video retention report and the monetary scope, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sandbox.test_comments import yt_token
from tests.sandbox.test_youtube import google_error, report
from tests.support.sandbox import SandboxControl

READONLY = "https://www.googleapis.com/auth/youtube.readonly"
ANALYTICS = "https://www.googleapis.com/auth/yt-analytics.readonly"
MONEY = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"


def _window(sandbox: SandboxControl) -> dict[str, str]:
    return {"startDate": "2020-01-01", "endDate": "2030-01-01"}


def _videos(sandbox: SandboxControl, account_id: str) -> list[dict[str, Any]]:
    return list(sandbox.account(account_id, posts=True)["posts"])


def test_retention_curve_of_one_video(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    tok = sandbox.connect("youtube", yt_account["id"])["access_token"]
    posts = _videos(sandbox, yt_account["id"])
    top = report(
        sandbox, tok, metrics="views", dimensions="video", sort="-views", maxResults="1", **_window(sandbox)
    ).json()["rows"]
    vid = top[0][0]
    post = next(p for p in posts if p["id"] == vid)
    body = report(
        sandbox,
        tok,
        metrics="audienceWatchRatio,relativeRetentionPerformance",
        dimensions="elapsedVideoTimeRatio",
        filters=f"video=={vid}",
        **_window(sandbox),
    ).json()
    assert [h["name"] for h in body["columnHeaders"]] == [
        "elapsedVideoTimeRatio",
        "audienceWatchRatio",
        "relativeRetentionPerformance",
    ]
    assert body["columnHeaders"][0]["dataType"] == "FLOAT"
    rows = body["rows"]
    assert len(rows) == 100
    assert rows[0][0] == 0.01
    assert rows[-1][0] == 1.0
    # the sandbox's line: p * (1.5 - elapsed) for the video's average view percentage 100 p
    p = post["avg_view_pct"] / 100
    assert rows[49][1] == round(p * 1.0, 4)  # at half the video: exactly p
    assert rows[99][1] == round(p * 0.5, 4)
    assert rows[24][1] == round(p * 1.25, 4)


@pytest.mark.parametrize(
    "params",
    [
        {"metrics": "audienceWatchRatio", "dimensions": "elapsedVideoTimeRatio"},  # no video filter
        {"metrics": "audienceWatchRatio", "dimensions": "elapsedVideoTimeRatio", "filters": "video==a,b"},
        {"metrics": "audienceWatchRatio,views", "dimensions": "elapsedVideoTimeRatio", "filters": "video==a"},
        {"metrics": "audienceWatchRatio", "dimensions": "day"},
        {"metrics": "views", "dimensions": "elapsedVideoTimeRatio", "filters": "video==a"},
    ],
)
def test_unsupported_retention_queries(
    sandbox: SandboxControl, yt_account: dict[str, Any], params: dict[str, str]
) -> None:
    tok = sandbox.connect("youtube", yt_account["id"])["access_token"]
    google_error(report(sandbox, tok, **_window(sandbox), **params), 400, "badRequest")


def test_revenue_needs_the_monetary_scope(sandbox: SandboxControl, yt_account: dict[str, Any]) -> None:
    plain = yt_token(sandbox, yt_account["id"], f"{READONLY} {ANALYTICS}")
    google_error(report(sandbox, plain, metrics="estimatedRevenue", **_window(sandbox)), 403, "forbidden")
    money = yt_token(sandbox, yt_account["id"], f"{READONLY} {ANALYTICS} {MONEY}")
    views = report(sandbox, money, metrics="views", **_window(sandbox)).json()["rows"][0][0]
    body = report(sandbox, money, metrics="views,estimatedRevenue", **_window(sandbox)).json()
    # 2.50 dollars per 1,000 views (SANDBOX_RPM)
    assert body["rows"] == [[views, round(views * 2.5 / 1000, 3)]]
    assert requests.get(sandbox.url("_sandbox/"), timeout=10).status_code == 200
