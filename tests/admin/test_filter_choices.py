"""The filters' choices come from one place each: alert types and severities from their enums, and
the coach picker (one macro, one query: ``services.clients``) on the portfolio, the alert feed and the
new-client form, with deactivated coaches offered to filter by but not to assign."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import AlertType, Severity


@pytest.fixture
def coaches(factory):
    factory.admin(email="admin@example.com", name="Ada Admin")
    active = factory.coach(email="coach@example.com", name="Ann Coach")
    gone = factory.coach(email="gone@example.com", name="Gone Coach")
    gone.is_active = False
    db.session.commit()
    return active, gone


def _options(text: str, name: str) -> dict[str, tuple[str, bool]]:
    """value -> (label, selected) of the ``<select name=...>`` in ``text``."""
    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', text, re.S)
    assert select, f"no select {name!r}"
    return {
        v: (label, bool(sel.strip()))
        for v, sel, label in re.findall(r'<option value="([^"]*)"\s*([^>]*)>([^<]*)</option>', select.group(1))
    }


def test_alert_feed_offers_every_type_and_severity_of_the_enums(client, coaches):
    client.login("admin@example.com")
    text = client.get("/admin/alerts?type=LOW_ENGAGEMENT").get_data(as_text=True)
    types = _options(text, "type")
    assert set(types) == {""} | {t.value for t in AlertType}
    assert types["LOW_ENGAGEMENT"] == ("low engagement", True)
    assert set(_options(text, "severity")) == {""} | {s.value for s in Severity}


@pytest.mark.parametrize("page", ["/admin/alerts", "/admin/portfolio"])
def test_admin_filters_by_any_coach_deactivated_ones_too(client, coaches, page):
    active, gone = coaches
    client.login("admin@example.com")
    picked = _options(client.get(f"{page}?coach={gone.id}").get_data(as_text=True), "coach")
    assert picked[""] == ("Any coach", False)
    assert picked[str(gone.id)] == ("Gone Coach", True)
    assert picked[str(active.id)] == ("Ann Coach", False)
    none_picked = _options(client.get(page).get_data(as_text=True), "coach")
    assert not any(sel for _, sel in none_picked.values())


@pytest.mark.parametrize("page", ["/admin/alerts", "/admin/portfolio"])
def test_coaches_get_no_coach_filter(client, coaches, page):
    client.login("coach@example.com")
    resp = client.get(page)
    assert resp.status_code == 200
    assert 'name="coach"' not in resp.get_data(as_text=True)
    assert client.get(f"{page}?coach={coaches[0].id}").status_code == 400


def test_new_client_form_assigns_active_coaches_and_keeps_the_choice(client, coaches):
    active, gone = coaches
    client.login("admin@example.com")
    picker = _options(client.get("/admin/clients/new").get_data(as_text=True), "coach_id")
    assert picker[""] == ("No coach yet", False)
    assert str(active.id) in picker
    assert str(gone.id) not in picker
    resp = client.post("/admin/clients/new", data={"name": "", "email": "x@example.com", "coach_id": str(active.id)})
    assert resp.status_code == 422
    assert _options(resp.get_data(as_text=True), "coach_id")[str(active.id)] == ("Ann Coach", True)
