"""The demo's audience history: weekly snapshots before the first sync, so "Audience over time" has
something to compare on day one.

The sandbox's audience truth has no history (it is what the platform says today). The demo writes the
eight weeks before today from that truth, drifted back a little each week: the younger groups and the
first country were a few points smaller two months ago. Only the demo does this; a real connection's
changes start at its second weekly read. The first sync then reads today's snapshot (the newest
written is a week old, so the weekly read is due). A LinkedIn Company Page's history holds its
seniority, job functions, company sizes and countries (the ids the app names itself); a Facebook Page's
its countries and cities (shares only: the follower counts come with the first sync's read).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.extensions import db
from app.models import AudienceSnapshot
from app.models.base import utcnow
from app.stats.audience import AGE_ORDER, audience_payload

WEEKS = 8
#: points of share moved per week, back in time, from the younger half of the age groups (and the top
#: country, and Shorts) to the rest
DRIFT_PER_WEEK = 0.6


def _drifted(values: dict[str, float], gaining: set[str], weeks: int) -> dict[str, float]:
    """``values`` as they were ``weeks`` ago: the ``gaining`` keys smaller by the drift, the others larger."""
    move = DRIFT_PER_WEEK * weeks
    losers = [k for k in values if k not in gaining] or list(values)
    winners = [k for k in values if k in gaining]
    out = dict(values)
    for k in winners:
        out[k] = max(0.0, out[k] - move / len(winners))
    for k in losers:
        out[k] = out[k] + move / len(losers) if winners else out[k]
    return out


def import_audience_history(
    connection_id: int, platform: str, truth: dict[str, Any], followers: int, today: date
) -> int:
    """Write the ``WEEKS`` weekly snapshots before ``today`` (percent truths -> the stored shape); commits."""
    if platform not in ("instagram", "youtube", "tiktok", "linkedin", "facebook") or not truth:
        return 0
    written = 0
    for week in range(1, WEEKS + 1):
        breakdowns: dict[str, dict[str, float]] = {}
        for key in ("age", "gender", "traffic_sources", "devices", "seniority", "functions", "company_sizes"):
            if isinstance(truth.get(key), dict):
                gaining = set(AGE_ORDER[:3]) if key == "age" else {"female"} if key == "gender" else set()
                if key in ("seniority", "functions"):  # a Page's largest group grew (LinkedIn Pages)
                    gaining = {max(truth[key], key=lambda k: truth[key][k])}
                breakdowns[key] = _drifted(dict(truth[key]), gaining, week)
        for key, name in (("countries", "code"), ("cities", "name")):
            rows = truth.get(key) or []
            values = {str(r[name]): float(r["share"]) for r in rows if isinstance(r, dict)}
            if values:
                breakdowns[key] = _drifted(values, {next(iter(values))}, week)
        hours = truth.get("online_hours") or {}
        online = {str(h): float(v) * followers / 100 for h, v in hours.items()}
        day = today - timedelta(days=7 * week)
        exists = db.session.execute(
            db.select(AudienceSnapshot.id).where(
                AudienceSnapshot.connection_id == connection_id, AudienceSnapshot.taken_on == day
            )
        ).scalar_one_or_none()
        if exists is None:
            db.session.add(
                AudienceSnapshot(
                    connection_id=connection_id,
                    taken_on=day,
                    payload=audience_payload(breakdowns, online),
                    base=followers,
                    synced_at=utcnow(),
                )
            )
            written += 1
    db.session.commit()
    return written
