"""Audience shares, peak hours and insight totals, computed by hand."""

from __future__ import annotations

from datetime import date

from app.stats.audience import InsightDay, audience_payload, insight_days, insight_totals, peak_hours, shares


def test_shares_are_percent_of_the_total_with_one_decimal() -> None:
    assert shares({"a": 1, "b": 2, "c": 0}) == {"a": 33.3, "b": 66.7}
    assert shares({"a": 0}) == {}
    assert shares({}) == {}


def test_payload_orders_ages_and_keeps_the_top_places() -> None:
    raw = {
        "age": {"35-44": 200, "18-24": 500, "25-34": 300},
        "gender": {"male": 30, "female": 70},
        "countries": {f"C{i:02d}": 12 - i for i in range(12)},  # 12, 11, ... 1: total 78
        "devices": {"DESKTOP": 1, "MOBILE": 3},
    }
    payload = audience_payload(raw, {})
    assert list(payload["age"]) == ["18-24", "25-34", "35-44"]
    assert payload["age"] == {"18-24": 50.0, "25-34": 30.0, "35-44": 20.0}
    assert list(payload["gender"]) == ["female", "male"]
    assert len(payload["countries"]) == 10
    assert payload["countries"][0] == {"code": "C00", "share": round(1200 / 78, 1)}  # 15.4
    assert payload["devices"] == {"MOBILE": 75.0, "DESKTOP": 25.0}
    assert "online_hours" not in payload
    assert "cities" not in payload


def test_online_hours_and_peaks() -> None:
    payload = audience_payload({}, {"20": 1000.04, "21": 250, "7": 250})
    assert payload["online_hours"]["20"] == 1000.0
    assert payload["online_hours"]["0"] == 0.0
    assert peak_hours(payload["online_hours"], 3) == [20, 7, 21]  # a tie goes to the earlier hour
    assert peak_hours({"1": 0.0}) == []


def test_insight_days_convert_units_and_totals_weight_averages_by_views() -> None:
    rows = [
        (date(2026, 10, 1), "views", 100.0),
        (date(2026, 10, 1), "watch_time", 6000.0),  # seconds -> 100 minutes
        (date(2026, 10, 1), "avg_view_duration", 60.0),
        (date(2026, 10, 2), "views", 300.0),
        (date(2026, 10, 2), "watch_time", 36000.0),
        (date(2026, 10, 2), "avg_view_duration", 120.0),
        (date(2026, 10, 2), "followers_gained", 7.0),
        (date(2026, 10, 2), "new_followers", 9.0),  # not an insight of the contract: left out
    ]
    days = insight_days(rows)
    assert [d.day for d in days] == [date(2026, 10, 1), date(2026, 10, 2)]
    assert days[0].metrics == {"views": 100.0, "watch_time_minutes": 100.0, "average_view_duration_s": 60.0}
    totals = insight_totals(days)
    # (60 x 100 + 120 x 300) / 400 = 105 s, not the plain mean 90 s
    assert totals == {
        "views": 400.0,
        "watch_time_minutes": 700.0,
        "average_view_duration_s": 105.0,
        "subscribers_gained": 7.0,
    }
    assert insight_totals([InsightDay(date(2026, 10, 3), {"average_view_duration_s": 50.0})]) == {}
