"""Likely causes of a decline, from the account's own data ("Possible issues" in the seed).

Two comparisons, each against the account's own past rather than a global norm: posting frequency in
the last 14 days against its usual pace (the 8 weeks before), and the engagement of recent posts
against its own baseline (the 90 days before). Rates come from ``app/stats`` (post engagement rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from app.stats.content import Post
from app.stats.engagement import mean_rate

RECENT_DAYS = 14
USUAL_DAYS = 56  # posting pace: the 8 weeks before the recent window
BASELINE_DAYS = 90  # engagement baseline: the 90 days before the recent window
FREQUENCY_DROP = 0.5  # recent posts fewer than half the usual
ENGAGEMENT_DROP = 0.75  # recent rate under three quarters of the baseline


def _between(posts: Sequence[Post], start: date, end: date) -> list[Post]:
    return [p for p in posts if start < p.published_at.date() <= end]


def likely_causes(posts: Sequence[Post], d: date) -> dict[str, Any]:
    """``{"causes": [...], "actions": [...], "posting": {...}, "engagement": {...}}`` for ``d``."""
    recent_start = d - timedelta(days=RECENT_DAYS)
    recent = _between(posts, recent_start, d)
    usual = _between(posts, recent_start - timedelta(days=USUAL_DAYS), recent_start)
    baseline = _between(posts, recent_start - timedelta(days=BASELINE_DAYS), recent_start)
    usual_per_window = len(usual) * RECENT_DAYS / USUAL_DAYS
    recent_rate, base_rate = mean_rate(p.rate for p in recent), mean_rate(p.rate for p in baseline)
    causes: list[dict[str, Any]] = []
    actions: list[str] = []
    if usual_per_window > 0 and len(recent) < usual_per_window * FREQUENCY_DROP:
        causes.append(
            {
                "code": "posting_frequency",
                "text": f"Posting frequency dropped: {len(recent)} post{'s' if len(recent) != 1 else ''} "
                f"in the last {RECENT_DAYS} days against a usual {usual_per_window:.1f}.",
            }
        )
        actions.append("Get back to the usual posting schedule; plan the next two weeks of content.")
    if recent_rate is not None and base_rate and recent_rate < base_rate * ENGAGEMENT_DROP:
        causes.append(
            {
                "code": "content_engagement",
                "text": f"Recent posts engage less: {recent_rate:.2f}% in the last {RECENT_DAYS} days "
                f"against the client's own {base_rate:.2f}% before.",
            }
        )
        actions.append("Review the recent posts against the best performers; reuse the formats that worked.")
    if not causes:
        actions.append("Check in with the client: nothing in posting or engagement explains it yet.")
    return {
        "causes": causes,
        "actions": actions,
        "posting": {"recent": len(recent), "usual": round(usual_per_window, 2)},
        "engagement": {
            "recent": None if recent_rate is None else round(recent_rate, 3),
            "baseline": None if base_rate is None else round(base_rate, 3),
        },
    }
