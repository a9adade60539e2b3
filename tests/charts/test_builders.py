"""Chart builders (issue "Pages people enjoy"): compact numbers, labelled markers, no repeated total,
a post measured once explained in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.charts.builders import compact, curve_chart, growth_chart, percent
from app.stats.milestones import Milestone
from app.stats.series import Point, Series

D0 = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (950, "950"),
        (1_000, "1K"),
        (12_345, "12.3K"),
        (160_000, "160K"),
        (1_234_567, "1.2M"),
        (-2_500, "-2.5K"),
        (2_000_000_000, "2B"),
        (3.25, "3.2"),
        (None, ""),
    ],
)
def test_compact_numbers(value, text):
    assert compact(value) == text


def test_percent():
    assert percent(3.456) == "3.5%"


def _series(key: str, label: str, values: list[int]) -> Series:
    return Series(key, label, tuple(Point(D0 + timedelta(days=i), v, "measured") for i, v in enumerate(values)))


def test_one_platform_is_drawn_without_a_total_that_repeats_it_and_markers_are_labelled():
    yt = _series("youtube", "YouTube", [160_000 + 100 * i for i in range(10)])
    total = _series("total", "Total", [160_000 + 100 * i for i in range(10)])
    m1 = Milestone("M1", "Brand audit", D0 + timedelta(days=4), 400, False, None, None)
    chart = growth_chart("g", "Followers", [yt, total], [m1], D0 + timedelta(days=1))
    assert "Total" not in chart.table.columns
    assert chart.table.columns[:2] == ("Day", "YouTube")
    assert ">160K<" in chart.svg  # axis labels: compact, not 160000
    assert "160000" not in chart.svg
    assert ">M1<" in chart.svg  # printed on the chart: readable without hover, in print and in PDFs
    assert ">Start<" in chart.svg
    assert any("M1: Brand audit completed 2026-11-05" in n for n in chart.notes)
    # two platforms: the total adds something and stays
    ig = _series("instagram", "Instagram", [1_000] * 10)
    both = growth_chart("g", "Followers", [yt, ig, _series("total", "Total", [161_000] * 10)], [], None)
    assert "Total" in both.table.columns


def test_a_post_measured_once_gets_a_sentence_not_a_dot():
    chart = curve_chart("c", "This post over time", [(D0, 1_200, 80, 95)])
    assert chart.svg == ""
    assert "Measured once so far (2026-11-01): 1,200 views, 80 likes, 95 interactions" in chart.description
    assert chart.table.rows == (("2026-11-01", "1,200", "80", "95"),)
    two = curve_chart("c", "This post over time", [(D0, 1_200, 80, 95), (D0 + timedelta(days=1), 2_000, 90, 110)])
    assert "<svg" in two.svg


def test_platforms_ten_times_apart_are_drawn_indexed_not_flattened():
    yt = _series("youtube", "YouTube", [160_000 + 1_600 * i for i in range(10)])  # +9% over the period
    ig = _series("instagram", "Instagram", [1_000 + 20 * i for i in range(10)])  # +18%
    total = _series("total", "Total", [161_000 + 1_620 * i for i in range(10)])
    chart = growth_chart("g", "Followers", [yt, ig, total], [], None)
    assert chart.title == "Followers (indexed: first day = 100)"
    assert "first day of the period (= 100)" in chart.notes[0]
    assert ">100.0<" in chart.svg  # one scale for both lines
    assert "118.0" in chart.svg  # Instagram's last day: 1,180 / 1,000
    assert chart.table.rows[-1][1:3] == ("174,400", "1,180")  # the table keeps the follower counts
    # close in size: plain followers
    near = _series("instagram", "Instagram", [50_000] * 10)
    plain = growth_chart("g", "Followers", [yt, near, total], [], None)
    assert plain.title == "Followers"


def test_weekly_chart_axis_reads_short_dates_and_the_table_keeps_iso_ones():
    from app.charts.builders import weekly_chart
    from app.stats.overview import MetricPoint

    weeks = ["2026-11-03", "2026-11-10", "2026-12-01"]
    chart = weekly_chart(
        "w", "Engagement by week", "Engagement rate (%)", {"youtube": [MetricPoint(w, 1.5) for w in weeks]}, {}
    )
    assert ">Nov 3<" in chart.svg
    assert ">Dec 1<" in chart.svg
    assert "2026-12-01" not in chart.svg  # a long ISO label was cut off at the chart's edge
    assert [r[0] for r in chart.table.rows] == weeks


def test_the_print_chart_is_readable_at_print_size():
    """The PDF's chart: a 640 × 300 canvas drawn across the ~17 cm text width, so its smallest text
    (14 px) prints at 14 × 17 cm / 640 = 0.37 cm = 10.5 pt, and its axis labels (15 px) at 11.3 pt."""
    import re

    yt = _series("youtube", "YouTube", [1_000 + i for i in range(10)])
    m1 = Milestone("M1", "Brand audit", D0 + timedelta(days=4), 4, False, None, None)
    chart = growth_chart("g", "Followers", [yt], [m1], D0 + timedelta(days=1), print_size=True)
    assert 'viewBox="0 0 640 300"' in chart.svg
    sizes = {float(px) for px in re.findall(r"font-size:\s*([\d.]+)px", chart.svg)}
    assert 15.0 in sizes
    points_per_px = 17 / 2.54 * 72 / 640
    assert min(sizes) * points_per_px >= 10
    assert ">M1<" in chart.svg
