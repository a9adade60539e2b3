"""Instagram contact-button taps by button type and the engaged audience's cities: stored with the weekly
audience, shown in words on the Instagram page and the coach's page, and in the audience API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AudienceSnapshot
from app.stats.audience import link_taps_by_button
from app.stats.query import today
from tests.support import history as h

PAYLOAD = {
    "age": {"18-24": 100.0},
    "engaged": {"cities": [{"name": "Sao Paulo, Sao Paulo", "share": 80.0}, {"name": "Austin, Texas", "share": 20.0}]},
    # stored out of order: shown most first, a tie in the pages' order (email before directions)
    "link_taps_by_button": {"DIRECTION": 28, "EMAIL": 28, "CALL": 84},
}


@pytest.fixture
def creator(factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, email="c@example.com", name="Cora")
    ig = h.connection(c, "instagram", username="cora_ig")
    h.daily(ig, today() - timedelta(days=5), [1000 + i for i in range(6)])
    db.session.add(AudienceSnapshot(connection_id=ig.id, taken_on=today() - timedelta(days=1), payload=PAYLOAD))
    db.session.commit()
    return c


def test_taps_by_button_are_whole_counts_most_first() -> None:
    # a tie (EMAIL and DIRECTION 28) in the pages' order: email before directions; zeros and unknowns
    got = link_taps_by_button({"DIRECTION": 28.0, "EMAIL": 28.0, "CALL": 84.4, "TEXT": 0.0, "NEW_KIND": 3.0})
    assert list(got.items()) == [("CALL", 84), ("EMAIL", 28), ("DIRECTION", 28), ("NEW_KIND", 3)]


def test_the_instagram_page_and_the_api_show_taps_in_words(client, creator):
    client.login("c@example.com")
    text = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert "Contact button taps" in text
    section = text.split("Contact button taps", 1)[1].split("</section>", 1)[0]
    rows = [r.split("</th>", 1)[0] for r in section.split('<th scope="row">')[1:]]
    assert rows == ["Call", "Email", "Get directions"]
    assert '<th scope="row">Call</th><td>84</td>' in section
    assert '<th scope="row">Get directions</th><td>28</td>' in section
    assert "CALL" not in text.split("Contact button taps", 1)[1].split("</section>", 1)[0]
    assert "Engaged: cities" in text
    assert "80.0%" in text.split("Engaged: cities", 1)[1].split("</table>", 1)[0]
    body = client.get("/api/portal/social/instagram/audience").get_json()
    assert body["link_taps_by_button"] == {"CALL": 84, "DIRECTION": 28, "EMAIL": 28}  # as stored (a mapping)
    assert body["engaged"]["cities"][1] == {"name": "Austin, Texas", "share": 20.0}
    client.logout()
    client.login("coach@example.com")
    crm = client.get(f"/admin/clients/{creator.id}").get_data(as_text=True)
    assert '<th scope="row">Call</th><td>84</td>' in crm
