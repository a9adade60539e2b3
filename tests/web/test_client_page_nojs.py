"""The CRM client page without JavaScript (plain form posts): a success goes back to the page with a
message (post/redirect/get); an error renders the whole page, complete, with the error in the card
that was posted and in no other; nothing stored changes."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Deliverable, Goal
from app.stats.query import today

CARDS = ("social-card", "goals-card", "program-card", "invite-card", "deliverables-card")


def _card(page: str, card_id: str) -> str:
    """The HTML of one card (``<article|section id=...>`` up to its closing tag)."""
    m = re.search(rf'<(article|section) id="{card_id}".*?</\1>', page, re.S)
    assert m, f"{card_id} missing"
    return m.group(0)


def _alerts(html: str) -> list[str]:
    """Card-level and field-level error messages."""
    return re.findall(r'<p class="form-error" role="alert">(.*?)</p>', html, re.S) + re.findall(
        r'<small id="e-[\w-]+" class="field-error">(.*?)</small>', html, re.S
    )


def _setup(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Nora Nojs", program_start=date(2026, 1, 1), program_end=date(2026, 6, 1))
    factory.deliverable(c, "M1", "Positioning")
    client.login("coach@example.com")
    return c


def _whole_page_with_error_only_in(resp, card_id: str, message: str) -> str:
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<html" in page
    for card in CARDS:  # every card of the page is there...
        _card(page, card)
    for card in CARDS:  # ...and only the posted one shows the error
        alerts = _alerts(_card(page, card))
        assert (message in " ".join(alerts)) == (card == card_id), (card, alerts)
    return page


def test_bad_deliverable_shows_the_whole_page_with_the_error_in_its_card(client, factory):
    c = _setup(client, factory)
    resp = client.post(f"/admin/clients/{c.id}/deliverables", data={"code": "M1", "title": "Again"})
    page = _whole_page_with_error_only_in(resp, "deliverables-card", "already exists")
    assert 'value="Again"' in _card(page, "deliverables-card")  # what was typed is kept
    assert len(db.session.execute(select(Deliverable)).all()) == 1


def test_bad_goal_and_bad_program_show_the_error_once(client, factory):
    c = _setup(client, factory)
    past = (today().replace(year=today().year - 1)).isoformat()
    resp = client.post(f"/admin/clients/{c.id}/goals", data={"target": "100", "target_date": past})
    page = _whole_page_with_error_only_in(resp, "goals-card", "future")
    assert re.search(r"<details\s+open\s*>", _card(page, "goals-card"))  # the goal form is unfolded
    assert db.session.execute(select(Goal)).first() is None

    resp = client.post(
        f"/admin/clients/{c.id}/program",
        data={"program_start": "2026-03-01", "program_end": "2026-02-01", "status": "active", "time_zone": "UTC"},
    )
    page = _whole_page_with_error_only_in(resp, "program-card", "cannot end before")
    assert 'name="program_start"' in _card(page, "program-card")  # the edit form, values kept
    db.session.expire_all()
    assert db.session.get(Client, c.id).program_end == date(2026, 6, 1)


def test_successes_redirect_back_with_a_message(client, factory):
    c = _setup(client, factory)
    resp = client.post(f"/admin/clients/{c.id}/deliverables", data={"code": "M2", "title": "Content plan"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/admin/clients/{c.id}"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "M2 added." in page
    assert "Content plan" in page
    assert _alerts(page) == []

    d = db.session.execute(select(Deliverable).where(Deliverable.code == "M1")).scalar_one()
    resp = client.post(f"/admin/clients/{c.id}/deliverables/{d.id}/complete", data={"complete": "1"})
    assert resp.status_code == 303
    assert "M1 marked complete." in client.get(resp.headers["Location"]).get_data(as_text=True)

    resp = client.post(
        f"/admin/clients/{c.id}/program",
        data={"program_start": "2026-02-01", "program_end": "2026-08-01", "status": "paused", "time_zone": "UTC"},
    )
    assert resp.status_code == 303
    assert "Program saved." in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_program_edit_link_without_javascript(client, factory):
    c = _setup(client, factory)
    edit = client.get(f"/admin/clients/{c.id}/program?edit=1")
    page = edit.get_data(as_text=True)
    assert edit.status_code == 200
    assert "<html" in page
    assert 'name="program_start"' in _card(page, "program-card")
    _card(page, "social-card")
    assert _alerts(page) == []
    plain = client.get(f"/admin/clients/{c.id}/program")
    assert plain.status_code == 303
    assert plain.headers["Location"] == f"/admin/clients/{c.id}"


def test_invite_without_javascript(client, factory):
    """A client who has a password gets no new invite (the error in the login card); one without gets
    the new link on the page itself (a redirect would lose the one-time link)."""
    c = _setup(client, factory)
    resp = client.post(f"/admin/clients/{c.id}/invite")
    _whole_page_with_error_only_in(resp, "invite-card", "password")
    fresh = factory.client(coach=c.coach, name="Ivy Invite", password=None)
    resp = client.post(f"/admin/clients/{fresh.id}/invite")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<html" in page
    assert _alerts(page) == []
    assert 'aria-label="New invite link"' in _card(page, "invite-card")
    _card(page, "social-card")
