"""StatsQuery parsing: ranges, custom periods and the clear messages for bad input."""

from __future__ import annotations

from datetime import date

import pytest

from app.stats.query import BadQuery, parse

TODAY = date(2026, 3, 31)


def test_presets_compare_end_with_n_days_before():
    q = parse({"range": "7d"}, now=TODAY)
    assert (q.period.start, q.period.end, q.period.days) == (date(2026, 3, 24), TODAY, 7)
    assert parse({}, now=TODAY).period.key == "30d"
    assert parse({"range": "all"}, now=TODAY).period.start is None


def test_custom_range_includes_its_first_day():
    q = parse({"start": "2026-03-01", "end": "2026-03-10"}, now=TODAY)
    assert q.period.key == "custom"
    assert q.period.start == date(2026, 2, 28)
    assert q.period.end == date(2026, 3, 10)
    assert q.period.contains(date(2026, 3, 1))
    assert not q.period.contains(date(2026, 2, 28))
    assert q.args() == {"start": "2026-03-01", "end": "2026-03-10"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "before the start"),
        ({"start": "2026-03-01", "end": "2099-01-01"}, "in the future"),
        ({"start": "2026-3-1", "end": "2026-03-10"}, "YYYY-MM-DD"),
        ({"start": "2026-02-30", "end": "2026-03-10"}, "does not exist"),
        ({"start": "2026-03-01"}, "both start and end"),
        ({"start": "1990-01-01", "end": "2026-03-10"}, "five years"),
        ({"range": "14d"}, "Unknown range"),
        ({"platform": "myspace"}, "Unknown platform"),
        ({"metric": "vibes"}, "Unknown metric"),
    ],
)
def test_bad_input_is_a_clear_400(args, message):
    with pytest.raises(BadQuery) as exc:
        parse(args, now=TODAY)
    assert message in exc.value.message
    assert exc.value.status == 400


def test_platforms_and_metric():
    q = parse({"platform": "TikTok", "metric": "engagement"}, now=TODAY)
    assert q.platforms == ("tiktok",)
    assert q.platform == "tiktok"
    assert q.metric == "engagement"
    assert q.args(range="90d") == {"range": "90d", "platform": "tiktok", "metric": "engagement"}
