"""The words of a report (app/reports/summary.py) and its formatting (app/reports/formatting.py), with
hand-computed cases: the rating bands and the low-engagement step, the advice's rule order, the cover
numbers and sentences of weekly, programme and portfolio payloads, Babel output per locale."""

from __future__ import annotations

from datetime import date

import pytest

from app.reports import formatting as fmt
from app.reports import summary
from app.stats.engagement import LOW_ENGAGEMENT_PCT


@pytest.mark.parametrize(
    ("growth", "engagement", "expected"),
    [
        (2.0, 5.0, "Excellent"),  # the band's lower edge belongs to it
        (1.99, 5.0, "Good"),
        (0.5, 5.0, "Good"),
        (0.49, 5.0, "Steady"),
        (0.0, 5.0, "Steady"),
        (-0.01, 5.0, "Needs attention"),
        (3.0, 1.49, "Good"),  # under the 1.5 % line: one step down
        (3.0, 1.5, "Excellent"),  # on the line: no step
        (0.2, 1.0, "Needs attention"),
        (-1.0, 0.5, "Needs attention"),  # never below the lowest
        (3.0, None, "Excellent"),  # no posts: no engagement to hold against it
    ],
)
def test_rating_bands_and_the_low_engagement_step(growth, engagement, expected):
    assert LOW_ENGAGEMENT_PCT == 1.5
    assert summary.rating(growth, engagement, True) == expected


def test_rating_without_data():
    assert summary.rating(None, 5.0, True) == "Not enough data"
    assert summary.rating(3.0, 5.0, False) == "Not enough data"


def test_rating_reason_in_words():
    assert (
        summary.rating_reason(6.6667, 6.0, True, "en") == "Followers changed +6.7% this week (Excellent: 2% or more)."
    )
    assert summary.rating_reason(0.8, 1.2, True, "en") == (
        "Followers changed +0.8% this week (Good: 0.5% to 2%), one step down to Steady because engagement (1.2%)"
        " is under the 1.5% low-engagement line."
    )
    assert (
        summary.rating_reason(-0.25, 0.9, True, "en")
        == "Followers changed −0.2% this week (Needs attention: below 0%)."
    )
    assert summary.rating_reason(None, None, False, "en").startswith("Not enough data")


SLOT = {"weekday": "Tue", "from": "12:00", "to": "14:00", "tz": "UTC"}


@pytest.mark.parametrize(
    ("kw", "start"),
    [
        ({"has_connections": False, "has_data": False, "posts": 0, "net": None}, "Connect an account"),
        ({"has_connections": True, "has_data": False, "posts": 5, "net": -3}, "Your accounts have no data"),
        (
            {"has_connections": True, "has_data": True, "posts": 0, "net": -3},
            "You did not post this week: aim for at least 3",
        ),
        (
            {"has_connections": True, "has_data": True, "posts": 2, "net": -3, "engagement_change": -2.0},
            "You lost followers",
        ),
        (
            {"has_connections": True, "has_data": True, "posts": 2, "net": 4, "engagement_change": -0.5},
            "Engagement fell by 0.5 pts",
        ),
        (
            {"has_connections": True, "has_data": True, "posts": 2, "net": 4, "engagement_change": -0.49},
            "Your best slot is Tue 12:00–14:00",
        ),
        (
            {"has_connections": True, "has_data": True, "posts": 1, "net": 4, "slot": None},
            "Good rhythm: keep publishing about 1 post a week.",
        ),
    ],
)
def test_advice_first_rule_that_applies(kw, start):
    args = {"engagement_change": None, "slot": SLOT, **kw}
    assert summary.advice(**args).startswith(start)


WEEK = {
    "kind": "weekly",
    "locale": "en",
    "has_connections": True,
    "has_data": True,
    "total": {"start": 1500, "end": 1600, "net": 100, "growth_rate": 100 / 15},
    "platforms": [
        {"name": "Instagram", "followers": {"start": 1000, "end": 1080, "net": 80, "growth_rate": 8.0}},
        {"name": "YouTube", "followers": {"start": 500, "end": 520, "net": 20, "growth_rate": 4.0}},
    ],
    "engagement": {"rate": 6.0, "previous": 1.0, "change_points": 5.0, "posts": 1},
    "rating": "Excellent",
    "advice": "Good rhythm: keep publishing about 1 post a week.",
}


def test_weekly_summary():
    s = summary.summarise(WEEK, "en")
    assert [(h.label, h.text("en"), h.note) for h in s.headlines] == [
        ("Followers", "1,600", "across 2 accounts"),
        ("Change this week", "+100", "+6.7%"),
        ("Engagement", "6.0%", "+5.0 pts vs the week before"),
    ]
    assert s.grew == "Instagram grew the most: +80 followers (+8.0%), 80% of the week's gain."
    assert s.grew_total == "Followers grew by +100 (+6.7%) this week."
    assert s.changed == "Engagement rose from 1.0% to 6.0% (+5.0 pts vs the week before)."
    assert s.next == WEEK["advice"]


def test_weekly_summary_losses_and_steady_engagement():
    r = {
        **WEEK,
        "total": {"start": 1600, "end": 1588, "net": -12, "growth_rate": -0.75},
        "platforms": [
            {"name": "Instagram", "followers": {"start": 1600, "end": 1588, "net": -12, "growth_rate": -0.75}}
        ],
        "engagement": {"rate": 2.3, "previous": 2.0, "change_points": 0.3, "posts": 4},
    }
    s = summary.summarise(r, "en")
    assert s.grew == "Followers fell by 12 (−0.8%) this week."
    assert s.changed == "Engagement held steady at 2.3% (+0.3 pts vs the week before)."
    assert s.headlines[1].text("en") == "−12"


def test_program_summary():
    r = {
        "kind": "program",
        "locale": "en",
        "has_connections": True,
        "has_data": True,
        "period": {"start": "2026-09-01", "end": "2026-11-15", "days": 76},
        "total": {"start": 1200, "end": 2036, "net": 836, "growth_rate": 836 / 12},
        "platforms": [
            {"name": "Instagram", "followers": {"start": 1000, "end": 1760, "net": 760, "growth_rate": 76.0}},
            {"name": "YouTube", "followers": {"start": 200, "end": 276, "net": 76, "growth_rate": 38.0}},
        ],
        "engagement": {"start": 1.0, "end": 10.0, "change_points": 9.0},
        "milestones": [{"completed_on": "2026-10-05"}, {"completed_on": None}],
        "best_theme": {"label": "#reels"},
        "best_slot": SLOT,
    }
    s = summary.summarise(r, "en")
    assert [(h.label, h.text("en"), h.note) for h in s.headlines] == [
        ("Followers gained", "+836", "1,200 → 2,036"),
        ("Growth", "+69.7%", "over 76 days"),
        ("Engagement", "10.0%", "+9.0 pts since the first 30 days"),
    ]
    assert s.grew == "Instagram grew the most: +760 followers (+76.0%), 91% of the programme's gain."  # 760/836
    assert (
        s.changed == "Engagement rose from 1.0% to 10.0% (+9.0 pts first vs last 30 days). 1 of 2 milestones completed."
    )
    assert s.next == "Keep going with #reels, best posted Tue 12:00–14:00 (UTC)."
    no_posts = summary.summarise({**r, "best_theme": None, "best_slot": None}, "en")
    assert no_posts.next == "Post at least 3 times a week so the next report can name your best theme and time."


def test_portfolio_summary():
    r = {
        "kind": "portfolio",
        "clients": 2,
        "cohort": None,
        "total_followers": 2336,
        "period_change": {"net": 136},
        "average_growth_rate_90d": 12.5,
        "leaderboard": [{"name": "Zoë", "change": {"growth_rate": 4.0}}],
        "needs_attention": [{"name": "Kenji", "reasons": ["no sync for 3 days"]}],
    }
    s = summary.summarise(r, "en")
    assert [h.text("en") for h in s.headlines] == ["2", "2,336", "+12.5%"]
    assert s.grew == "Zoë leads the last 30 days with +4.0%."
    assert s.changed == "1 client needs attention."
    assert s.next == "Check in with Kenji first: no sync for 3 days."


def test_formatting_per_locale():
    assert fmt.day("2026-11-09", "en") == "Nov 9, 2026"
    assert fmt.day("2026-11-09", "en_GB") == "9 Nov 2026"
    assert fmt.period("2026-11-09", "2026-11-15", "en") == "Nov 9\u2009–\u200915, 2026"  # thin spaces
    assert fmt.period(date(2026, 9, 1), date(2026, 11, 15), "en") == "Sep 1\u2009–\u2009Nov 15, 2026"
    assert fmt.month("2026-10-05", "en") == "October 2026"
    assert fmt.number(1234567, "en") == "1,234,567"
    assert fmt.number(1234567, "en_ZA") == "1\xa0234\xa0567"
    assert fmt.signed(-12, "en") == "−12"
    assert fmt.signed(0, "en") == "0"
    assert fmt.percent(69.666, "en", sign=True) == "+69.7%"
    assert fmt.percent(0.04, "en", sign=True) == "0.0%"
    assert fmt.points(-0.5, "en") == "−0.5 pts"
    assert fmt.number(None) == fmt.percent(None) == fmt.day(None) == "—"
    assert fmt.moment("2026-12-01T10:44:49.152403+00:00", "Europe/Berlin", "en") == "Dec 1, 2026, 11:44 +0100"
    assert fmt.data_as_of("2026-12-01T10:44:49+00:00", "2026-12-01T13:50:00+00:00", "Europe/Berlin", "en") == (
        "Data as of Tuesday, December 1, 2026 at 11:44 Central European Standard Time, 3 hours before this report"
        " was made."
    )
    assert fmt.data_as_of(None, None, "UTC", "en").startswith("No account has synced yet")
    assert fmt.truncate("maya.moves.with.a.long.handle", 12) == "maya.moves.…"
    assert fmt.locale_or_default("xx_nonsense") == "en"


def test_monthly_reads_like_the_weekly():
    """A monthly payload (the weekly shape, kind "monthly") gets the month's words."""
    r = {**WEEK, "kind": "monthly", "engagement": {"rate": 6.0, "previous": None, "change_points": None, "posts": 9}}
    s = summary.summarise(r, "en")
    assert [(h.label, h.note) for h in s.headlines][1:] == [("Change this month", "+6.7%"), ("Engagement", "9 posts")]
    assert s.grew == "Instagram grew the most: +80 followers (+8.0%), 80% of the month's gain."
    assert s.changed == "Engagement was 6.0% (no posts the month before to compare with)."


def test_a_month_is_rated_on_its_average_week():
    """+5 % over 30 days is 1.05^(7/30) − 1 = +1.1 % a week: Good, not the Excellent that +5 % in one
    week earns; +31 % over 31 days is 1.31^(7/31) − 1 = +6.3 % a week: Excellent."""
    assert summary.weekly_growth(5.0, 7) == 5.0
    assert summary.weekly_growth(5.0, 30) == pytest.approx(1.145, abs=0.001)
    assert summary.rating(5.0, 3.0, True) == "Excellent"
    assert summary.rating(5.0, 3.0, True, days=30) == "Good"
    assert summary.rating_reason(31.0, 7.0, True, "en", days=31) == (
        "Followers changed +31.0% this month, +6.3% a week on average (Excellent: 2% or more a week)."
    )
    assert summary.rating_reason(None, None, False, "en", days=31) == (
        "Not enough data: there is no follower total for the month yet."
    )


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"posts": 0, "net": 5}, "You did not post this month: aim for at least 3 posts a week to keep growing."),
        ({"posts": 2, "net": -1}, "You lost followers this month: look at what"),
        ({"posts": 2, "net": 5}, "Keep the rhythm: 2 posts this month, fewer than one a week."),  # 2·7/31 = 0.45
        ({"posts": 13, "net": 5}, "Keep the rhythm: 13 posts this month, about 3 a week."),  # 13·7/31 = 2.9
    ],
)
def test_monthly_advice_speaks_of_the_month(kw, expected):
    args = {"has_connections": True, "has_data": True, "engagement_change": None, "slot": None, "days": 31, **kw}
    assert summary.advice(**args).startswith(expected)


def test_a_stored_monthly_rating_is_explained_by_the_rule_it_was_given_by():
    """A monthly payload stored before months were rated on their average week (+5 % rated Excellent on
    the weekly bands) keeps a reason that agrees with its rating; a new one gets the month's rule."""
    from app.web.templating import rating_reason

    month = {
        "kind": "monthly",
        "locale": "en",
        "has_data": True,
        "period": {"days": 30},
        "total": {"growth_rate": 5.0},
        "engagement": {"rate": 3.0},
    }
    assert (
        rating_reason({**month, "rating": "Excellent"}) == "Followers changed +5.0% this week (Excellent: 2% or more)."
    )
    assert rating_reason({**month, "rating": "Good"}) == (
        "Followers changed +5.0% this month, +1.1% a week on average (Good: 0.5% to 2% a week)."
    )
