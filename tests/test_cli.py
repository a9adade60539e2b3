"""The flask commands of the contract: users create, demo [--reset]."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Deliverable, Role, User


def test_users_create_client_gets_profile(app):
    runner = app.test_cli_runner()
    coach = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Coach@Example.com",
            "--name",
            "Coach",
            "--role",
            "coach",
            "--password",
            "coach-password-1",
        ]
    )
    assert coach.exit_code == 0, coach.output
    made = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@example.com",
            "--name",
            "Cee",
            "--role",
            "client",
            "--coach-email",
            "coach@example.com",
        ]
    )
    assert made.exit_code == 0
    assert "Password:" in made.output
    user = db.session.execute(select(User).where(User.email == "c@example.com")).scalar_one()
    assert user.role is Role.CLIENT
    assert user.client is not None
    assert user.client.coach.email == "coach@example.com"


def test_users_create_bad_input_is_a_clear_error(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "create", "--email", "nope", "--name", "X", "--role", "coach"])
    assert bad.exit_code != 0
    assert "not valid" in bad.output
    short = runner.invoke(
        args=["users", "create", "--email", "x@example.com", "--name", "X", "--role", "coach", "--password", "short"]
    )
    assert short.exit_code != 0
    assert "at least 10" in short.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar() == 0


def test_demo_loads_once_and_resets(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    clients = db.session.execute(select(func.count()).select_from(Client)).scalar()
    assert clients == 12
    assert db.session.execute(select(func.count()).select_from(Deliverable)).scalar() == 60
    again = runner.invoke(args=["demo"])
    assert again.exit_code != 0
    assert "--reset" in again.output
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert skipped.exit_code == 0
    assert "already has data" in skipped.output
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Client)).scalar() == 12


def test_demo_logins_work(client, app):
    app.test_cli_runner().invoke(args=["demo"])
    assert client.login("sofia@example.com", "demo-portal-2026").headers["Location"] == "/portal"
    page = client.get("/portal").get_data(as_text=True)
    assert "Sofia Lindqvist" in page
    assert "Kenji" not in page
