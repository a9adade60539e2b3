"""CRM: creating clients (with an invite email), program edits, deliverables, and their bad inputs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, ClientStatus, Deliverable, OutboxEmail, User


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_coach_creates_a_client_who_gets_an_invite(client, factory):
    coach = factory.coach(email="coach@example.com", name="Maya Coach")
    client.login("coach@example.com")
    resp = client.hx(
        "POST",
        "/admin/clients/new",
        data={
            "name": "Zoë Fischer",
            "email": "Zoe@Example.com",
            "program_start": "2026-01-05",
            "program_end": "2026-06-30",
            "time_zone": "Europe/Berlin",
        },
    )
    assert resp.status_code == 200
    assert "toast" in resp.headers["HX-Trigger"]
    db.session.expire_all()
    c = db.session.execute(
        select(Client).join(User, Client.user_id == User.id).where(User.email == "zoe@example.com")
    ).scalar_one()
    assert c.display_name == "Zoë Fischer"
    assert c.coach_id == coach.id
    assert c.program_start.isoformat() == "2026-01-05"
    assert c.time_zone == "Europe/Berlin"
    email = db.session.execute(select(OutboxEmail)).scalar_one()
    assert email.to_address == "zoe@example.com"
    assert email.kind == "invite"
    link = re.search(r"https://portal\.example\.com/invite/\S+", email.body_text).group(0)
    assert link in resp.get_data(as_text=True)
    assert "Maya Coach" in email.subject


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "email": "a@example.com"}, "name", "Give a name"),
        ({"name": "A", "email": "not-an-email"}, "email", "not valid"),
        ({"name": "A", "email": "a@example.com", "program_start": "2026-02-30"}, "program_start", "does not exist"),
        ({"name": "A", "email": "a@example.com", "program_start": "01/02/2026"}, "program_start", "YYYY-MM-DD"),
        (
            {"name": "A", "email": "a@example.com", "program_start": "2026-05-01", "program_end": "2026-04-01"},
            "program_end",
            "cannot end before",
        ),
        ({"name": "A", "email": "a@example.com", "time_zone": "Mars/Olympus"}, "time_zone", "time zone"),
    ],
)
def test_bad_client_input_is_explained_and_nothing_is_stored(client, factory, form, field, message):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    users_before = _count(User)
    resp = client.hx("POST", "/admin/clients/new", data=form)
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert message in text
    assert f'id="e-{field}"' in text
    db.session.expire_all()
    assert _count(User) == users_before
    assert _count(OutboxEmail) == 0


def test_duplicate_email_is_a_conflict(client, factory):
    factory.coach(email="coach@example.com")
    factory.client(email="taken@example.com")
    client.login("coach@example.com")
    resp = client.hx("POST", "/admin/clients/new", data={"name": "B", "email": "taken@example.com"})
    assert resp.status_code == 409
    assert "already exists" in resp.get_data(as_text=True)


def test_admin_must_pick_a_real_coach(client, factory):
    factory.admin(email="admin@example.com")
    other_client = factory.client()
    client.login("admin@example.com")
    resp = client.hx(
        "POST",
        "/admin/clients/new",
        data={"name": "B", "email": "b@example.com", "coach_id": str(other_client.user_id)},
    )
    assert resp.status_code == 422
    assert "Pick a coach" in resp.get_data(as_text=True)


def test_program_edit_and_bad_dates_keep_the_stored_values(client, factory):
    coach = factory.coach(email="coach@example.com")
    from datetime import date

    c = factory.client(coach=coach, program_start=date(2026, 1, 1), program_end=date(2026, 6, 1))
    client.login("coach@example.com")
    edit = client.hx("GET", f"/admin/clients/{c.id}/program?edit=1")
    assert 'name="program_start"' in edit.get_data(as_text=True)
    bad = client.hx(
        "POST",
        f"/admin/clients/{c.id}/program",
        data={"program_start": "2026-03-01", "program_end": "2026-02-01", "status": "active", "time_zone": "UTC"},
    )
    assert bad.status_code == 422
    assert "cannot end before" in bad.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Client, c.id)
    assert (fresh.program_start, fresh.program_end) == (date(2026, 1, 1), date(2026, 6, 1))
    ok = client.hx(
        "POST",
        f"/admin/clients/{c.id}/program",
        data={
            "program_start": "2026-02-01",
            "program_end": "2026-08-01",
            "status": "paused",
            "time_zone": "Asia/Tokyo",
        },
    )
    assert ok.status_code == 200
    assert "client-updated" in ok.headers["HX-Trigger"]
    db.session.expire_all()
    fresh = db.session.get(Client, c.id)
    assert fresh.program_start == date(2026, 2, 1)
    assert fresh.status is ClientStatus.PAUSED
    assert fresh.time_zone == "Asia/Tokyo"


def test_deliverables_add_complete_reopen(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach)
    client.login("coach@example.com")
    resp = client.hx(
        "POST",
        f"/admin/clients/{c.id}/deliverables",
        data={"code": "m1", "title": "Positioning", "due_date": "2026-02-01"},
    )
    assert resp.status_code == 200
    d = db.session.execute(select(Deliverable)).scalar_one()
    assert d.code == "M1"
    assert d.completed_at is None
    dup = client.hx("POST", f"/admin/clients/{c.id}/deliverables", data={"code": "M1", "title": "Again"})
    assert dup.status_code == 422
    assert "already exists" in dup.get_data(as_text=True)
    done = client.hx(
        "POST",
        f"/admin/clients/{c.id}/deliverables/{d.id}/complete",
        data={"complete": "1", "completed_on": "2026-01-20"},
    )
    assert done.status_code == 200
    assert "Complete" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Deliverable, d.id).completed_at.date().isoformat() == "2026-01-20"
    future = client.hx(
        "POST",
        f"/admin/clients/{c.id}/deliverables/{d.id}/complete",
        data={"complete": "1", "completed_on": "2999-01-01"},
    )
    assert future.status_code == 422
    reopen = client.hx("POST", f"/admin/clients/{c.id}/deliverables/{d.id}/complete", data={"complete": "0"})
    assert reopen.status_code == 200
    db.session.expire_all()
    assert db.session.get(Deliverable, d.id).completed_at is None


def test_deliverable_of_another_client_is_404(client, factory):
    coach = factory.coach(email="coach@example.com")
    mine = factory.client(coach=coach)
    theirs = factory.client(coach=factory.coach())
    d = factory.deliverable(theirs)
    client.login("coach@example.com")
    resp = client.hx("POST", f"/admin/clients/{mine.id}/deliverables/{d.id}/complete", data={"complete": "1"})
    assert resp.status_code == 404


def test_client_list_search_sort_and_bad_filters(client, factory):
    coach = factory.coach(email="coach@example.com")
    factory.client(coach=coach, name="Amara Nwosu")
    factory.client(coach=coach, name="Zed Zulu")
    client.login("coach@example.com")
    page = client.hx("GET", "/admin/clients?q=amara").get_data(as_text=True)
    assert "Amara Nwosu" in page
    assert "Zed Zulu" not in page
    page = client.hx("GET", "/admin/clients?sort=-name").get_data(as_text=True)
    assert page.index("Zed Zulu") < page.index("Amara Nwosu")
    empty = client.hx("GET", "/admin/clients?q=nobody").get_data(as_text=True)
    assert "No clients match" in empty
    bad = client.hx("GET", "/admin/clients?sort=drop-table")
    assert bad.status_code == 400
    assert "Unknown sort order" in bad.get_data(as_text=True)


def test_names_are_escaped(client, factory):
    coach = factory.coach(email="coach@example.com")
    factory.client(coach=coach, name='<script>alert(1)</script>"><svg onload=x>')
    client.login("coach@example.com")
    page = client.get("/admin/clients").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
