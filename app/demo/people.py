"""Demo data: an admin, coaches and a dozen clients at different points of their programs.

Everything is derived from fixed inputs and today's date, so two runs on the same day agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Base, Client, ClientStatus, Deliverable, PortfolioDailyTotal, Role, User
from app.services import accounts

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - documented demo login, only created by `flask demo`

MILESTONES = (
    ("M1", "Brand positioning & bio rewrite"),
    ("M2", "Content pillars and posting calendar"),
    ("M3", "Short-form video system"),
    ("M4", "Collaborations and cross-promotion"),
    ("M5", "Monetisation plan"),
)


@dataclass(frozen=True)
class DemoClient:
    name: str
    email: str
    coach: str
    weeks_in: int  # weeks since program start
    weeks_total: int
    completed: int  # milestones completed so far
    tz: str
    status: ClientStatus = ClientStatus.ACTIVE


COACHES = (("Maya Okafor", "maya@example.com"), ("Daniel Reyes", "daniel@example.com"))

CLIENTS = (
    DemoClient("Sofia Lindqvist", "sofia@example.com", "maya@example.com", 20, 24, 4, "Europe/Stockholm"),
    DemoClient("Kenji Watanabe", "kenji@example.com", "maya@example.com", 14, 24, 3, "Asia/Tokyo"),
    DemoClient("Amara Nwosu", "amara@example.com", "maya@example.com", 9, 24, 2, "Africa/Lagos"),
    DemoClient(
        "Lucas Moreau", "lucas@example.com", "maya@example.com", 30, 24, 5, "Europe/Paris", ClientStatus.COMPLETED
    ),
    DemoClient("Priya Raman", "priya@example.com", "maya@example.com", 4, 24, 1, "Asia/Kolkata"),
    DemoClient(
        "Zoë Fischer", "zoe@example.com", "maya@example.com", 1, 24, 0, "Europe/Berlin", ClientStatus.ONBOARDING
    ),
    DemoClient("Mateo García", "mateo@example.com", "daniel@example.com", 16, 24, 3, "America/Mexico_City"),
    DemoClient("Hannah Cohen", "hannah@example.com", "daniel@example.com", 11, 24, 2, "America/New_York"),
    DemoClient("Olu Adeyemi", "olu@example.com", "daniel@example.com", 22, 24, 4, "Europe/London"),
    DemoClient("Mei Chen", "mei@example.com", "daniel@example.com", 7, 24, 1, "Asia/Shanghai"),
    DemoClient(
        "Jack Thompson", "jack@example.com", "daniel@example.com", 12, 24, 2, "Australia/Sydney", ClientStatus.PAUSED
    ),
    DemoClient("Layla Haddad", "layla@example.com", "daniel@example.com", 18, 24, 3, "Asia/Dubai"),
)


def is_empty() -> bool:
    """True when the database has no users yet (``make run`` seeds only then)."""
    return not db.session.execute(select(func.count()).select_from(User)).scalar()


def reset() -> None:
    """Delete every row of every table (children first)."""
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(delete(table))
    # the trigger-kept totals once more, last: deleting the snapshots subtracted from whatever of them was left
    db.session.execute(delete(PortfolioDailyTotal))
    db.session.commit()


def seed(today: date | None = None) -> dict[str, int]:
    """Create the demo users, clients and deliverables; returns counts."""
    today = today or date.today()
    admin = accounts.create_user("admin@example.com", "Avery Admin", Role.ADMIN, DEMO_PASSWORD, commit=False)
    coaches = {
        email: accounts.create_user(email, name, Role.COACH, DEMO_PASSWORD, commit=False) for name, email in COACHES
    }
    n_deliverables = 0
    for spec in CLIENTS:
        user = accounts.create_user(
            spec.email, spec.name, Role.CLIENT, DEMO_PASSWORD, coach=coaches[spec.coach], commit=False
        )
        client: Client = user.client  # type: ignore[assignment]
        start = today - timedelta(weeks=spec.weeks_in)
        client.program_start = start
        client.program_end = start + timedelta(weeks=spec.weeks_total)
        client.status = spec.status
        client.time_zone = spec.tz
        step = spec.weeks_total // len(MILESTONES)
        for i, (code, title) in enumerate(MILESTONES):
            due = start + timedelta(weeks=step * (i + 1))
            done = None
            if i < spec.completed:
                day = min(due - timedelta(days=3), today - timedelta(days=1))
                done = datetime.combine(day, time(15, 0), tzinfo=UTC)
            db.session.add(
                Deliverable(client=client, code=code, title=title, position=i + 1, due_date=due, completed_at=done)
            )
            n_deliverables += 1
    db.session.commit()
    return {
        "admins": 1,
        "coaches": len(coaches),
        "clients": len(CLIENTS),
        "deliverables": n_deliverables,
        "admin_id": admin.id,
    }
