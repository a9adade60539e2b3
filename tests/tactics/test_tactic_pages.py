"""Tactics on the pages: the platform page and the CRM client page show the table; a post's page tags it."""

from __future__ import annotations

from typing import Any

from tests.tactics.test_tactics import _world


def test_platform_page_and_post_page(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("creator@example.com")
    page = client.get("/portal/analytics/instagram?range=30d").get_data(as_text=True)
    assert 'data-testid="tactics-table"' in page
    assert "+140.0%" in page  # Instagram's collab lift (hand-computed in test_tactics)
    post = w["base"][3]
    form = client.get(f"/portal/analytics/content/{post.id}").get_data(as_text=True)
    assert 'name="tactic" value="collab"' in form
    resp = client.post(f"/portal/analytics/content/{post.id}/tactics", data={"tactic": ["qa", "giveaway"]})
    assert resp.status_code == 303
    assert client.get(f"/api/portal/social/content/{post.id}/tactics").get_json()["tactics"] == ["giveaway", "qa"]
    bad = client.post(
        f"/portal/analytics/content/{post.id}/tactics", data={"tactic": ["nope"]}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Unknown tactic" in bad
    assert client.get(f"/api/portal/social/content/{post.id}/tactics").get_json()["tactics"] == ["giveaway", "qa"]
    other = w["other_post"].id
    assert client.post(f"/portal/analytics/content/{other}/tactics", data={"tactic": ["qa"]}).status_code == 404


def test_crm_page_shows_tactics_and_extends_the_list(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("coach@example.com")
    cid = w["creator"].id
    page = client.get(f"/admin/clients/{cid}?range=30d").get_data(as_text=True)
    assert 'id="tactics-card"' in page
    assert "+333.3%" in page  # the combined collab lift
    assert "Instagram: 3 posts" in page  # each platform's part beside it
    hostile = '<img src=x onerror="alert(1)">'
    resp = client.post(f"/admin/clients/{cid}/tactics", data={"name": hostile, "keywords": "unboxing"})
    assert resp.status_code == 303
    page = client.get(f"/admin/clients/{cid}").get_data(as_text=True)
    assert hostile not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_coach_tags_a_post_from_the_crm_page(client: Any, factory: Any) -> None:
    w = _world(factory)
    client.login("coach@example.com")
    cid, post = w["creator"].id, w["base"][3]
    page = client.get(f"/admin/clients/{cid}?range=30d").get_data(as_text=True)
    assert f'<option value="{post.id}">' in page
    resp = client.post(f"/admin/clients/{cid}/tactics/tag", data={"content_id": str(post.id), "tactic": ["qa"]})
    assert resp.status_code == 303
    client.logout()
    client.login("creator@example.com")
    assert client.get(f"/api/portal/social/content/{post.id}/tactics").get_json()["tactics"] == ["qa"]
    client.logout()
    client.login("coach@example.com")
    other = w["other_post"].id
    assert (
        client.post(f"/admin/clients/{cid}/tactics/tag", data={"content_id": str(other), "tactic": ["qa"]}).status_code
        == 404
    )
