"""The Facebook Pages sandbox over real HTTP, read through Meta's official client (facebook-business).

Facebook Login (dialog, code, long-lived user token), Page tokens from ``me/accounts``, the Page node,
posts with cursor paging, Page and post insights, removed metrics failing as Meta fails them, the
usage headers and the fault kinds.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from facebook_business.adobjects.page import Page
from facebook_business.adobjects.pagepost import PagePost
from facebook_business.adobjects.user import User
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from tests.support.sandbox import CLIENTS, REDIRECT_URI, SandboxControl, SandboxError

V = "v25.0"


def fb_login(sandbox: SandboxControl, account_id: str, scopes: list[str] | None = None) -> str:
    """The whole Facebook Login dance; returns the long-lived user token."""
    url = sandbox.authorize_url("facebook", scope=",".join(scopes)) if scopes else sandbox.authorize_url("facebook")
    location = sandbox.consent(url, account_id, scopes=scopes)
    code = sandbox.redirect_params(location)["code"]
    client_id, secret = CLIENTS["facebook"]
    short = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/oauth/access_token"),
        params={"client_id": client_id, "client_secret": secret, "redirect_uri": REDIRECT_URI, "code": code},
        timeout=10,
    )
    assert short.status_code == 200, short.text
    assert short.json()["expires_in"] < 3 * 3600
    long = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/oauth/access_token"),
        params={
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "fb_exchange_token",
            "fb_exchange_token": short.json()["access_token"],
        },
        timeout=10,
    )
    assert long.status_code == 200, long.text
    assert long.json()["expires_in"] > 50 * 86400
    return str(long.json()["access_token"])


def graph_api(sandbox_url: str, token: str) -> FacebookAdsApi:
    """facebook-business pointed at the sandbox (platforms-deep-data.md §8): the session's GRAPH host."""
    session = FacebookSession(access_token=token)
    session.GRAPH = f"{sandbox_url.rstrip('/')}/graph.facebook.com"
    return FacebookAdsApi(session, api_version=V)


@pytest.fixture
def pages(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return [
        sandbox.create_account("facebook", "sofia.studio", 12_400, owner="Sofia Reyes", seed=21),
        sandbox.create_account("facebook", "sofia.bakery", 830, owner="Sofia Reyes", seed=22),
    ]


def test_login_lists_every_page_of_the_person_with_page_tokens(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    page_html = requests.get(sandbox.authorize_url("facebook"), timeout=10).text
    assert "Sofia Reyes" in page_html
    assert "manages 2 Pages" in page_html
    user_token = fb_login(sandbox, pages[1]["id"])
    api = graph_api(sandbox_url, user_token)
    # ``tasks`` is not in the SDK's field list of the edge: asked through ``params`` as Postiz does
    accounts = list(User(fbid="me", api=api).get_accounts(params={"fields": "id,name,access_token,tasks"}))
    assert {a["id"] for a in accounts} == {p["platform_user_id"] for p in pages}
    assert all(a["access_token"].startswith("EAAB") and "ANALYZE" in a["tasks"] for a in accounts)
    # the same Page token on a second call, as Meta answers
    again = list(User(fbid="me", api=api).get_accounts(fields=["id", "access_token"]))
    assert {a["access_token"] for a in again} == {a["access_token"] for a in accounts}


def test_a_person_without_a_page_gets_an_empty_list(sandbox: SandboxControl, sandbox_url: str) -> None:
    person = sandbox.create_account("facebook", "kenji.person", 0, account_type="PERSON", owner="Kenji")
    token = fb_login(sandbox, person["id"])
    assert list(User(fbid="me", api=graph_api(sandbox_url, token)).get_accounts(fields=["id"])) == []


def _page_token(sandbox: SandboxControl, sandbox_url: str, account_id: str, page_id: str) -> str:
    user_token = fb_login(sandbox, account_id)
    accounts = User(fbid="me", api=graph_api(sandbox_url, user_token)).get_accounts(fields=["id", "access_token"])
    return str(next(a["access_token"] for a in accounts if a["id"] == page_id))


# the SDK's type check expects ``list<Object>`` for ``metric`` and warns on a list of names (the names
# are what Meta documents); the request it sends is the documented one
SDK_METRIC_WARNING = pytest.mark.filterwarnings("ignore:value of metric might not be compatible")


@SDK_METRIC_WARNING
def test_page_fields_posts_paging_and_insights_through_the_official_client(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    page_id = pages[0]["platform_user_id"]
    api = graph_api(sandbox_url, _page_token(sandbox, sandbox_url, pages[0]["id"], page_id))
    page = Page(page_id, api=api).api_get(params={"fields": "id,name,followers_count,fan_count,picture"})
    assert page["followers_count"] == 12_400
    assert page["fan_count"] <= page["followers_count"]
    assert page["picture"]["data"]["url"].startswith("https://scontent")

    truth = sandbox.account(pages[0]["id"], posts=True)["posts"]
    fields = "id,created_time,message,shares,reactions.summary(total_count).limit(0)"  # field expansion
    cursor = Page(page_id, api=api).get_published_posts(params={"fields": fields, "limit": 5})
    posts = list(cursor)  # the SDK follows ``after`` across pages
    assert len(posts) == len(truth) > 5
    by_id = {p["id"]: p for p in truth}
    first = posts[0]
    assert first["id"].startswith(page_id + "_")
    assert first["reactions"]["summary"]["total_count"] == by_id[first["id"]]["like_count"]
    assert first.get("shares", {"count": 0})["count"] == by_id[first["id"]]["share_count"]

    insights = list(
        Page(page_id, api=api).get_insights(
            params={"metric": ["page_media_view", "page_daily_follows_unique"], "period": "day"}
        )
    )
    assert {i["name"] for i in insights} == {"page_media_view", "page_daily_follows_unique"}
    assert all(v["end_time"].endswith("T07:00:00+0000") for i in insights for v in i["values"])

    post_insights = list(PagePost(first["id"], api=api).get_insights(params={"metric": ["post_media_view"]}))
    assert post_insights[0]["values"][0]["value"] == by_id[first["id"]]["view_count"]


@SDK_METRIC_WARNING
def test_removed_metrics_and_dead_tokens_fail_as_meta_fails(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    page_id = pages[0]["platform_user_id"]
    api = graph_api(sandbox_url, _page_token(sandbox, sandbox_url, pages[0]["id"], page_id))
    for removed in ("page_impressions", "page_fans", "page_impressions_unique"):
        with pytest.raises(FacebookRequestError) as err:
            list(Page(page_id, api=api).get_insights(params={"metric": [removed], "period": "day"}))
        assert err.value.api_error_code() == 100
        assert "valid insights metric" in err.value.api_error_message()
    sandbox.revoke(pages[0]["id"])
    with pytest.raises(FacebookRequestError) as err:
        Page(page_id, api=api).api_get(fields=["followers_count"])
    assert (err.value.api_error_code(), err.value.api_error_subcode()) == (190, 458)


def test_usage_headers_name_the_page_and_a_user_token_cannot_read_insights(
    sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    user_token = fb_login(sandbox, pages[0]["id"])
    page_id = pages[0]["platform_user_id"]
    accounts = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/me/accounts"),
        params={"fields": "id,access_token"},
        headers={"Authorization": f"Bearer {user_token}"},
        timeout=10,
    )
    assert "X-App-Usage" in accounts.headers
    page_token = next(a["access_token"] for a in accounts.json()["data"] if a["id"] == page_id)
    resp = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/{page_id}"),
        params={"fields": "followers_count"},
        headers={"Authorization": f"Bearer {page_token}"},
        timeout=10,
    )
    assert '"type":"pages"' in resp.headers["X-Business-Use-Case-Usage"]
    assert page_id in resp.headers["X-Business-Use-Case-Usage"]
    as_user = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/{page_id}/insights"),
        params={"metric": "page_media_view"},
        headers={"Authorization": f"Bearer {user_token}"},
        timeout=10,
    )
    assert as_user.status_code == 400
    assert as_user.json()["error"]["code"] == 190


def test_an_unticked_permission_is_missing_from_the_grant(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    token = fb_login(sandbox, pages[0]["id"], scopes=["pages_show_list", "pages_read_engagement"])
    perms = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/me/permissions"), params={"access_token": token}, timeout=10
    ).json()["data"]
    assert {p["permission"] for p in perms} == {"pages_show_list", "pages_read_engagement"}


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("rate_limited", 32),
        ("quota_exceeded", 80001),
        ("server_error", 2),
        ("token_expired", 190),
        ("token_revoked", 190),
    ],
)
def test_fault_kinds_answer_in_the_graph_envelope(
    sandbox: SandboxControl, pages: list[dict[str, Any]], kind: str, code: int
) -> None:
    token = fb_login(sandbox, pages[0]["id"])
    sandbox.add_fault("facebook", kind, path_contains="/me/accounts")
    resp = requests.get(sandbox.url(f"graph.facebook.com/{V}/me/accounts"), params={"access_token": token}, timeout=10)
    assert resp.json()["error"]["code"] == code


def test_malformed_fault_is_cut_json(sandbox: SandboxControl, pages: list[dict[str, Any]]) -> None:
    token = fb_login(sandbox, pages[0]["id"])
    sandbox.add_fault("facebook", "malformed", path_contains="/me/accounts")
    resp = requests.get(sandbox.url(f"graph.facebook.com/{V}/me/accounts"), params={"access_token": token}, timeout=10)
    assert resp.status_code == 200
    assert resp.text == '{"data":[{"id":"10'


def test_code_exchange_errors_are_graph_errors(sandbox: SandboxControl, pages: list[dict[str, Any]]) -> None:
    location = sandbox.consent(sandbox.authorize_url("facebook"), pages[0]["id"])
    code = sandbox.redirect_params(location)["code"]
    client_id, secret = CLIENTS["facebook"]
    url = sandbox.url(f"graph.facebook.com/{V}/oauth/access_token")
    base = {"client_id": client_id, "client_secret": secret, "code": code}
    wrong_uri = requests.get(url, params={**base, "redirect_uri": "http://127.0.0.1/other"}, timeout=10).json()
    assert wrong_uri["error"]["code"] == 100
    assert wrong_uri["error"]["error_subcode"] == 36008
    ok = requests.get(url, params={**base, "redirect_uri": REDIRECT_URI}, timeout=10)
    assert ok.status_code == 200
    used = requests.get(url, params={**base, "redirect_uri": REDIRECT_URI}, timeout=10).json()
    assert used["error"]["code"] == 100
    denied = sandbox.consent(sandbox.authorize_url("facebook"), pages[0]["id"], decision="deny")
    assert sandbox.redirect_params(denied)["error"] == "access_denied"


def test_page_buc_limit_answers_80001_with_the_time_to_regain_access() -> None:
    from app.sandbox import create_app
    from tests.support.live import serve_wsgi
    from tests.support.sandbox import SANDBOX_TEST_CONFIG

    with serve_wsgi(create_app({**SANDBOX_TEST_CONFIG, "META_BUC_DAILY_LIMIT": 3})) as url:
        control = SandboxControl(url)
        page = control.create_account("facebook", "busy.page", 500, owner="Busy", seed=61)
        user_token = fb_login(control, page["id"])
        page_token = requests.get(
            control.url(f"graph.facebook.com/{V}/me/accounts"), params={"access_token": user_token}, timeout=10
        ).json()["data"][0]["access_token"]
        answers = [
            requests.get(
                control.url(f"graph.facebook.com/{V}/me"),
                params={"access_token": page_token, "fields": "followers_count"},
                timeout=10,
            )
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 400]
        assert answers[-1].json()["error"]["code"] == 80001
        usage = answers[-1].headers["X-Business-Use-Case-Usage"]
        assert '"type":"pages"' in usage
        assert '"call_count":100' in usage
        # the user token's calls are not the Page's: they still pass
        assert (
            requests.get(
                control.url(f"graph.facebook.com/{V}/me/accounts"), params={"access_token": user_token}, timeout=10
            ).status_code
            == 200
        )


PLACES = {
    "countries": [{"code": "IN", "share": 80}, {"code": "GB", "share": 15}, {"code": "BD", "share": 5}],
    "cities": [{"name": "Mumbai, Maharashtra", "share": 70}, {"name": "London, England", "share": 30}],
}


@SDK_METRIC_WARNING
def test_page_follows_country_and_city_through_the_official_client(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    page_id = pages[0]["platform_user_id"]
    sandbox.patch_account(pages[0]["id"], audience=PLACES)
    api = graph_api(sandbox_url, _page_token(sandbox, sandbox_url, pages[0]["id"], page_id))
    page = Page(page_id, api=api)
    [country] = list(page.get_insights(params={"metric": ["page_follows_country"], "period": "lifetime"}))
    assert country["name"] == "page_follows_country"
    assert country["period"] == "lifetime"
    assert country["id"] == f"{page_id}/insights/page_follows_country/lifetime"
    [point] = country["values"]
    # 12,400 followers x the truth's shares, as counts by ISO-2 code (platforms-deep-data.md 2.4)
    assert point["value"] == {"IN": 9_920, "GB": 1_860, "BD": 620}
    assert point["end_time"].endswith("T07:00:00+0000")
    [city] = list(page.get_insights(params={"metric": ["page_follows_city"], "period": "lifetime"}))
    assert city["values"][0]["value"] == {"Mumbai, Maharashtra": 8_680, "London, England": 3_720}
    # both in one call, and no period at all: the lifetime point (Meta's default period for them)
    both = list(page.get_insights(params={"metric": ["page_follows_country", "page_follows_city"]}))
    assert [i["name"] for i in both] == ["page_follows_country", "page_follows_city"]
    # the control API keeps a Page's truth to what Meta gives: no age or gender (removed in 2024)
    with pytest.raises(SandboxError) as refused:
        sandbox.patch_account(pages[0]["id"], audience={"age": {"18-24": 100}})
    assert refused.value.status_code == 400
    assert "audience keys not for facebook: age (allowed: countries, cities)" in refused.value.response.text
    assert set(sandbox.patch_account(pages[0]["id"], audience={})["audience"]) == {"countries", "cities"}


@SDK_METRIC_WARNING
def test_page_follows_country_refuses_what_meta_refuses(
    sandbox: SandboxControl, sandbox_url: str, pages: list[dict[str, Any]]
) -> None:
    page_id = pages[0]["platform_user_id"]
    token = _page_token(sandbox, sandbox_url, pages[0]["id"], page_id)
    page = Page(page_id, api=graph_api(sandbox_url, token))
    for params in (
        {"metric": ["page_follows_country"], "period": "day"},
        {"metric": ["page_follows_country", "page_media_view"], "period": "lifetime"},
        {"metric": ["page_fans_country"], "period": "lifetime"},  # removed 2025-11-15
        {"metric": ["page_follows_gender_age"], "period": "lifetime"},  # removed 2024-03-14
    ):
        with pytest.raises(FacebookRequestError) as err:
            list(page.get_insights(params=params))
        assert (err.value.http_status(), err.value.api_error_code()) == (400, 100), params
        assert err.value.body()["error"]["type"] == "OAuthException"
    # the raw envelope: data only, no paging (the reference's example)
    raw = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/{page_id}/insights"),
        params={"metric": "page_follows_country", "period": "lifetime"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert raw.status_code == 200
    assert set(raw.json()) == {"data"}
    assert "X-Business-Use-Case-Usage" in raw.headers


def test_a_page_under_100_followers_gets_no_places(sandbox: SandboxControl, sandbox_url: str) -> None:
    small = sandbox.create_account("facebook", "tiny.page", 60, owner="Tim Small", seed=23)
    page_id = small["platform_user_id"]
    token = _page_token(sandbox, sandbox_url, small["id"], page_id)
    raw = requests.get(
        sandbox.url(f"graph.facebook.com/{V}/{page_id}/insights"),
        params={"metric": "page_follows_country,page_follows_city", "period": "lifetime"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert raw.status_code == 200
    assert raw.json() == {"data": []}
