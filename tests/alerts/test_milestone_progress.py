"""Milestone and celebration emails carry "+234 in the last 7 days" and "+104% since starting"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.alerts import service
from app.extensions import db
from app.models import Alert, OutboxEmail
from app.stats.milestones import progress
from app.stats.series import load_histories
from tests.support import history as h

D = date(2026, 3, 10)


def test_milestone_alert_and_emails_have_the_progress_lines(app, factory):
    coach = factory.coach(email="coach@example.com")
    kim = factory.client(coach=coach, email="kim@example.com", name="Kim", program_start=D - timedelta(days=30))
    conn = h.connection(kim)
    # programme start (D-30): 490; D-7: 766; D-1: 999; D: 1,000 -> +234 in 7 days, +104.08% since start
    h.snapshots(conn, {D - timedelta(days=30): 490, D - timedelta(days=7): 766, D - timedelta(days=1): 999, D: 1000})
    service.evaluate_connection(conn.id, today=D)
    alerts = db.session.execute(select(Alert).where(Alert.type == "MILESTONE")).scalars().all()
    platform = next(a for a in alerts if a.platform == "instagram")
    assert platform.details["gain_7d"] == 234
    assert round(platform.details["since_start_pct"], 2) == 104.08
    assert platform.details["program_start"] == (D - timedelta(days=30)).isoformat()
    mails = db.session.execute(select(OutboxEmail)).scalars().all()
    client_mail = next(e for e in mails if e.to_address == "kim@example.com" and "Instagram" in e.subject)
    coach_mail = next(e for e in mails if e.to_address == "coach@example.com" and "Instagram" in e.subject)
    for mail in (client_mail, coach_mail):
        assert "+234 in the last 7 days" in mail.body_text
        assert "+104% since starting" in mail.body_text
        assert "<strong>+234</strong> in the last 7 days" in mail.body_html


def test_progress_without_a_programme_start_or_a_week_of_data(app, factory):
    kim = factory.client(email="kim@example.com")
    conn = h.connection(kim)
    h.snapshots(conn, {D - timedelta(days=1): 999, D: 1000})
    hist = load_histories([conn])[kim.id]
    assert progress(hist, D, None) == {"gain_7d": None, "since_start_pct": None, "program_start": None}
    assert progress(hist, D, D + timedelta(days=3))["since_start_pct"] is None  # a start after the day
    assert progress(hist, D, D - timedelta(days=1), "instagram")["since_start_pct"] == pytest.approx(100 / 999)
    assert progress(hist, D, D - timedelta(days=1), "tiktok")["gain_7d"] is None


def test_email_without_progress_reads_as_before(app, factory):
    coach = factory.coach(email="coach@example.com")
    kim = factory.client(coach=coach, email="kim@example.com")
    conn = h.connection(kim)
    h.daily(conn, D - timedelta(days=1), [999, 1000])
    service.evaluate_connection(conn.id, today=D)
    mail = db.session.execute(select(OutboxEmail).where(OutboxEmail.to_address == "kim@example.com")).scalars().first()
    assert "in the last 7 days" not in mail.body_text
    assert "since starting" not in mail.body_text
