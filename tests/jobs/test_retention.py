"""D5: every bookkeeping table has a retention rule; the daily purge keeps what is young (or still
needed) and removes the rest, and a delivered email loses its links before the row goes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.jobs.system import purge_expired_rows
from app.models import (
    Alert,
    AlertCooldown,
    DataDeletionRequest,
    EmailStatus,
    Invite,
    LoginAttempt,
    OAuthState,
    OutboxEmail,
    PasswordReset,
    UserSession,
)
from app.models.base import utcnow
from app.models.sync import SyncRun
from app.services import retention
from tests.support import history as h


def count(model) -> int:
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_each_rule_keeps_the_young_and_removes_the_old(app, factory):
    now = utcnow()
    coach = factory.coach()
    client = factory.client(coach=coach)
    conn = h.connection(client, "tiktok")
    old, young = now - timedelta(days=400), now - timedelta(hours=1)
    for at in (old, young):
        db.session.add(UserSession(token_hash=f"s{at.timestamp()}", user_id=coach.id, created_at=at))
        db.session.add(LoginAttempt(email="a@example.com", ip="1.2.3.4", succeeded=False, at=at))
        db.session.add(
            OAuthState(
                state_hash=f"o{at.timestamp()}",
                user_id=coach.id,
                session_hash="x",
                platform="tiktok",
                redirect_uri="https://x",
                created_at=at,
                expires_at=at + timedelta(minutes=10),
            )
        )
        db.session.add(
            Invite(user_id=coach.id, token_hash=f"i{at.timestamp()}", created_at=at, expires_at=at + timedelta(days=3))
        )
        db.session.add(
            Alert(
                client_id=client.id,
                type="MILESTONE",
                severity="info",
                title="t",
                message="m",
                details={},
                day=at.date(),
                dedup_key=f"a{at.timestamp()}",
                created_at=at,
            )
        )
        db.session.add(AlertCooldown(key=f"k{at.timestamp()}", last_fired_at=at))
        db.session.add(
            PasswordReset(
                email="a@example.com",
                ip="1.2.3.4",
                requested_at=at,
                user_id=coach.id,
                token_hash=f"p{at.timestamp()}",
                expires_at=at + timedelta(minutes=60),
            )
        )
        db.session.add(
            DataDeletionRequest(
                platform="tiktok",
                platform_user_id=f"u{at.timestamp()}",
                confirmation_code=f"c{at.timestamp()}",
                status="completed",
                created_at=at,
                completed_at=at,
            )
        )
        db.session.add(
            OutboxEmail(
                to_address="kim@example.com",
                subject="Welcome",
                body_text="Set your password: https://portal.example.com/invite/SECRET",
                body_html="<a href='https://portal.example.com/invite/SECRET'>",
                kind="invite",
                status=EmailStatus.SENT,
                created_at=at,
            )
        )
    pending = OutboxEmail(
        to_address="kim@example.com",
        subject="Waiting",
        body_text="https://portal.example.com/invite/PENDING",
        kind="invite",
        status=EmailStatus.PENDING,
        created_at=old,
    )
    db.session.add(pending)
    # sync runs: an old success that is the connection's latest (kept), an older one and an old failure
    for at, status in ((old - timedelta(days=2), "succeeded"), (old - timedelta(days=1), "failed"), (old, "succeeded")):
        db.session.add(SyncRun(connection_id=conn.id, trigger="daily", status=status, queued_at=at))
    db.session.add(SyncRun(connection_id=conn.id, trigger="daily", status="failed", queued_at=young))
    db.session.commit()

    counts = purge_expired_rows()

    db.session.expire_all()
    for model in (
        UserSession,
        LoginAttempt,
        OAuthState,
        Invite,
        PasswordReset,
        Alert,
        AlertCooldown,
        DataDeletionRequest,
    ):
        assert count(model) == 1, model.__name__
    assert counts["user_sessions"] == counts["login_attempts"] == counts["alerts"] == 1
    runs = db.session.execute(select(SyncRun.status, SyncRun.queued_at).order_by(SyncRun.queued_at)).all()
    assert [r.status for r in runs] == ["succeeded", "failed"]  # the latest success stays (incremental syncs)
    assert counts["sync_runs"] == 2
    emails = db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars().all()
    assert [e.subject for e in emails] == ["Welcome", "Waiting"]  # the old delivered row went
    assert "SECRET" in emails[0].body_text  # young: kept whole for a few days
    assert emails[1].body_text.endswith("PENDING")  # not delivered yet: never touched
    assert purge_expired_rows() == {k: 0 for k in counts}  # idempotent


def test_a_delivered_email_loses_its_link_after_a_few_days(app):
    email = OutboxEmail(
        to_address="kim@example.com",
        subject="Your weekly report",
        body_text="Open it: https://portal.example.com/r/1/TOKEN",
        body_html="<a href='https://portal.example.com/r/1/TOKEN'>Open</a>",
        kind="report",
        status=EmailStatus.SENT,
        created_at=utcnow() - timedelta(days=retention.OUTBOX_BODY_DAYS, hours=1),
    )
    db.session.add(email)
    db.session.commit()
    assert retention.purge()["outbox_bodies"] == 1
    db.session.expire_all()
    row = db.session.get(OutboxEmail, email.id)
    assert "TOKEN" not in row.body_text
    assert row.body_html is None
    assert row.subject == "Your weekly report"
    assert row.to_address == "kim@example.com"
