"""Goals from the CRM: a coach (their clients) or an admin sets and removes a client's goal on the client
page with the portal's goal service; statuses come from app.stats; other tenants get 404s (IDOR)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Goal
from app.stats.query import today
from tests.support import history as h


@pytest.fixture
def setup(factory):
    coach = factory.coach(email="coach@example.com")
    mine = factory.client(coach=coach, name="Mina Mine", email="mina@example.com")
    ig = h.connection(mine, "instagram")
    h.daily(ig, today() - timedelta(days=40), [1000 + 10 * i for i in range(41)])  # 1,400 today, +10/day
    other_coach = factory.coach(email="other@example.com")
    theirs = factory.client(coach=other_coach, name="Theo Theirs", email="theo@example.com")
    admin = factory.admin(email="admin@example.com")
    return {"coach": coach, "mine": mine, "theirs": theirs, "admin": admin}


def _goals(client_id):
    db.session.expire_all()
    return list(db.session.execute(select(Goal).where(Goal.client_id == client_id)).scalars())


def test_coach_sets_and_removes_a_goal_with_status_from_stats(client, setup):
    mine = setup["mine"]
    client.login("coach@example.com")
    page = client.get(f"/admin/clients/{mine.id}").get_data(as_text=True)
    assert 'id="goals-card"' in page
    assert "No goals yet." in page
    assert "Set a goal" in page
    day = (today() + timedelta(days=30)).isoformat()
    resp = client.hx(
        "POST", f"/admin/clients/{mine.id}/goals", data={"target": "1600", "platform": "instagram", "target_date": day}
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert text.lstrip().startswith('<article id="goals-card"')
    assert "<html" not in text
    # 200 to go at +10/day: forecast today + 20 days, before the target date -> on track
    assert "1,600 Instagram followers by " + day in text
    assert "On track" in text
    assert (today() + timedelta(days=20)).isoformat() in text
    assert "now 1,400" in text
    assert "Goal saved." in resp.headers["HX-Trigger"]
    [goal] = _goals(mine.id)
    assert goal.created_by_id == setup["coach"].id
    assert goal.target == 1600
    assert goal.platform == "instagram"
    # the client sees the coach's goal in the portal (same service, same numbers)
    resp = client.hx("POST", f"/admin/clients/{mine.id}/goals/remove", data={"goal_id": str(goal.id)})
    assert resp.status_code == 200
    assert "No goals yet." in resp.get_data(as_text=True)
    assert "Goal removed." in resp.headers["HX-Trigger"]
    assert _goals(mine.id) == []


def test_goal_set_in_crm_shows_in_portal(client, setup):
    mine = setup["mine"]
    client.login("coach@example.com")
    day = (today() + timedelta(days=5)).isoformat()
    client.hx("POST", f"/admin/clients/{mine.id}/goals", data={"target": "5000", "platform": "", "target_date": day})
    client.logout()
    client.login("mina@example.com")
    text = client.get("/portal").get_data(as_text=True)
    assert f"5,000 total followers by {day}" in text
    assert "Off track" in text


def test_validation_errors_and_plain_form_posts(client, setup):
    mine = setup["mine"]
    client.login("coach@example.com")
    day = (today() + timedelta(days=30)).isoformat()
    bad = client.hx("POST", f"/admin/clients/{mine.id}/goals", data={"target": "lots", "target_date": day})
    assert bad.status_code == 422
    assert "whole number" in bad.get_data(as_text=True)
    assert _goals(mine.id) == []
    past = client.hx(
        "POST",
        f"/admin/clients/{mine.id}/goals",
        data={"target": "10", "target_date": (today() - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 422
    assert "future" in past.get_data(as_text=True)
    plat = client.hx(
        "POST", f"/admin/clients/{mine.id}/goals", data={"target": "10", "platform": "myspace", "target_date": day}
    )
    assert plat.status_code == 422
    assert "Pick a platform" in plat.get_data(as_text=True)
    # without HTMX: PRG back to the client page with the message
    resp = client.post(f"/admin/clients/{mine.id}/goals", data={"target": "2000", "platform": "", "target_date": day})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/admin/clients/{mine.id}"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Goal saved." in page
    assert f"2,000 total followers by {day}" in page
    assert client.hx("POST", f"/admin/clients/{mine.id}/goals/remove", data={"goal_id": "abc"}).status_code == 404


def test_admin_sets_and_removes_for_any_client(client, setup):
    theirs = setup["theirs"]
    client.login("admin@example.com")
    day = (today() + timedelta(days=30)).isoformat()
    resp = client.hx("POST", f"/admin/clients/{theirs.id}/goals", data={"target": "100", "target_date": day})
    assert resp.status_code == 200
    assert "No data yet" in resp.get_data(as_text=True)
    [goal] = _goals(theirs.id)
    assert goal.created_by_id == setup["admin"].id
    resp = client.hx("POST", f"/admin/clients/{theirs.id}/goals/remove", data={"goal_id": str(goal.id)})
    assert resp.status_code == 200
    assert _goals(theirs.id) == []


def test_idor_other_coach_and_clients_cannot_touch_goals(client, setup, factory):
    mine, theirs = setup["mine"], setup["theirs"]
    day = (today() + timedelta(days=30)).isoformat()
    their_goal = Goal(
        client_id=theirs.id,
        platform=None,
        metric="followers",
        target=10,
        target_date=today() + timedelta(days=9),
        created_by_id=None,
    )
    db.session.add(their_goal)
    db.session.commit()
    gid = their_goal.id
    client.login("coach@example.com")
    # another coach's client: adding or removing is a 404, nothing leaks or changes
    for headers in ({}, {"HX-Request": "true"}):
        add = client.post(
            f"/admin/clients/{theirs.id}/goals", data={"target": "1", "target_date": day}, headers=headers
        )
        rem = client.post(f"/admin/clients/{theirs.id}/goals/remove", data={"goal_id": str(gid)}, headers=headers)
        assert add.status_code == 404
        assert rem.status_code == 404
        assert "Theo Theirs" not in add.get_data(as_text=True) + rem.get_data(as_text=True)
    # their goal id through my own client: still a 404, the goal stays
    rem = client.hx("POST", f"/admin/clients/{mine.id}/goals/remove", data={"goal_id": str(gid)})
    assert rem.status_code == 404
    assert [g.id for g in _goals(theirs.id)] == [gid]
    assert _goals(mine.id) == []
    client.logout()
    # a client cannot use the CRM routes, not even for themselves
    client.login("mina@example.com")
    add = client.hx("POST", f"/admin/clients/{mine.id}/goals", data={"target": "1", "target_date": day})
    rem = client.hx("POST", f"/admin/clients/{theirs.id}/goals/remove", data={"goal_id": str(gid)})
    assert add.status_code in (403, 404)
    assert rem.status_code in (403, 404)
    assert _goals(mine.id) == []
    assert [g.id for g in _goals(theirs.id)] == [gid]


def test_bad_range_on_the_client_page_keeps_the_goals_card(client, setup):
    client.login("coach@example.com")
    resp = client.get(f"/admin/clients/{setup['mine'].id}?range=14d")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Unknown range" in text
    assert 'id="goals-card"' in text
