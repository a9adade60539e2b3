"""Facebook Pages and LinkedIn without credentials: not in the goal forms (the client's and the coach's)
nor in any platform filter (analytics, portfolio, client detail, alert feed); with their app's id and
secret set, offered in every one of them. The generic case (X) is tests/portal/test_x_pages.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

#: the coach's pages with a platform filter (the client detail page's goal form is read too)
COACH_PAGES = ("/admin/portfolio", "/admin/alerts")


def _options(html: str) -> list[list[str]]:
    """The option values of every ``<select name="platform">`` of a page, one list per select."""
    selects = re.findall(r'<select name="platform"[^>]*>(.*?)</select>', html, flags=re.S)
    return [re.findall(r'<option value="([^"]*)"', s) for s in selects]


def _pages(app: Any, factory: Any) -> dict[str, list[list[str]]]:
    coach = factory.coach(email="coach@example.com")
    creator = factory.client(coach=coach, email="c@example.com", name="Cleo")
    client = app.test_client()
    client.login("c@example.com")
    out = {"/portal/analytics": _options(client.get("/portal/analytics").get_data(as_text=True))}
    client.logout()
    client.login("coach@example.com")
    for url in (*COACH_PAGES, f"/admin/clients/{creator.id}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        out[url.split("/")[2] if "clients" not in url else "client detail"] = _options(resp.get_data(as_text=True))
    return out


def test_facebook_and_linkedin_without_credentials_are_in_no_form_nor_filter(make_app: Any) -> None:
    from tests.factories import Factory

    app = make_app(INSTAGRAM_CLIENT_ID="ig-id", INSTAGRAM_CLIENT_SECRET="ig-secret")
    with app.app_context():
        pages = _pages(app, Factory())
    # every page has its platform select(s): the goal form on analytics and on the client's detail
    # page, the filters on the portfolio and the alert feed
    assert all(pages[k] for k in pages), pages
    for name, selects in pages.items():
        for values in selects:
            assert "instagram" in values, (name, values)  # the one platform this deployment set up
            assert "facebook" not in values, (name, values)
            assert "linkedin" not in values, (name, values)
            assert "x" not in values, (name, values)


@pytest.mark.parametrize(
    ("settings", "offered"),
    [
        ({"FACEBOOK_APP_ID": "fb-app", "FACEBOOK_APP_SECRET": "fb-secret"}, "facebook"),
        ({"LINKEDIN_CLIENT_ID": "li-client", "LINKEDIN_CLIENT_SECRET": "li-secret"}, "linkedin"),
    ],
)
def test_a_platform_with_its_credentials_is_in_every_form_and_filter(
    make_app: Any, settings: dict[str, str], offered: str
) -> None:
    from tests.factories import Factory

    app = make_app(**settings)
    with app.app_context():
        pages = _pages(app, Factory())
    for name, selects in pages.items():
        assert selects, name
        for values in selects:
            assert offered in values, (name, values)
            assert ({"facebook", "linkedin"} - {offered}).isdisjoint(values), (name, values)
            assert "instagram" not in values, (name, values)


def test_a_secret_alone_offers_nothing(make_app: Any) -> None:
    """Both halves of the app's credentials are needed: an id without its secret hides the platform."""
    from tests.factories import Factory

    app = make_app(FACEBOOK_APP_ID="fb-app", FACEBOOK_APP_SECRET="", LINKEDIN_CLIENT_SECRET="li-secret")
    with app.app_context():
        pages = _pages(app, Factory())
    for selects in pages.values():
        for values in selects:
            assert "facebook" not in values
            assert "linkedin" not in values
