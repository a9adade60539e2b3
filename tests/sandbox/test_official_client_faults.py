"""The seven fault kinds read through each new platform's official Python client: what the client surfaces
is what a program written against the real platform would see (reference/platforms.md §1.2, §6.3, §7.5).

* Facebook Pages, ``facebook-business``: :class:`FacebookRequestError` with Meta's code, subcode, type and
  ``is_transient``, the usage header with the time to regain access; a cut body is *not* noticed by the
  SDK (``FacebookResponse.json()`` falls back to the text); the session's ``timeout`` raises ``Timeout``.
* LinkedIn, ``linkedin-api-client``: ``RestliClient`` raises nothing on an error status: the response's
  ``status_code`` and the envelope in its body (``status``, ``code``, ``serviceErrorCode``) are the
  caller's to read; a cut body raises ``ResponseFormattingError``; ``AuthClient`` shows a dead refresh
  grant as 400 ``invalid_request``.
* X, ``tweepy``: ``TooManyRequests`` (with ``reset_time`` from ``x-rate-limit-reset``, none for the
  monthly cap), ``TwitterServerError``, ``Unauthorized``, each with the problem's ``detail`` as its
  message; a cut body raises ``JSONDecodeError``.

``timeout`` is read through facebook-business only: ``RestliClient`` and ``tweepy.Client`` take no
timeout (their sessions send without one), so a held answer just arrives late through them; the
``timeout`` kind is checked with a timed-out plain request in test_x.py and the adapters' tests.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import tweepy
from facebook_business.adobjects.page import Page
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from tests.sandbox.test_facebook import V, _page_token, graph_api
from tests.sandbox.test_linkedin import CID, SECRET, VERSION, official  # noqa: F401
from tests.sandbox.test_x import client_for
from tests.support.sandbox import REDIRECT_URI, SandboxControl

FB_CUT = '{"data":[{"id":"10'


@pytest.fixture
def fb_page(sandbox: SandboxControl, sandbox_url: str) -> tuple[str, str]:
    """(Page id, Page token) from the Login dance."""
    acc = sandbox.create_account("facebook", "faulty.page", 2_400, owner="Noor", seed=31)
    page_id = acc["platform_user_id"]
    return page_id, _page_token(sandbox, sandbox_url, acc["id"], page_id)


@pytest.mark.parametrize(
    ("kind", "status", "code", "subcode", "transient"),
    [
        ("rate_limited", 400, 32, None, True),  # Meta throttles at HTTP 400, never 429
        ("quota_exceeded", 400, 80001, None, True),
        ("server_error", 500, 2, None, True),
        ("token_expired", 400, 190, 463, False),
        ("token_revoked", 400, 190, 458, False),
    ],
)
def test_facebook_faults_through_facebook_business(
    sandbox: SandboxControl,
    sandbox_url: str,
    fb_page: tuple[str, str],
    kind: str,
    status: int,
    code: int,
    subcode: int | None,
    transient: bool,
) -> None:
    page_id, token = fb_page
    sandbox.add_fault("facebook", kind, path_contains=f"/{page_id}", retry_after=120)
    with pytest.raises(FacebookRequestError) as caught:
        Page(page_id, api=graph_api(sandbox_url, token)).api_get(fields=["followers_count"])
    err = caught.value
    assert err.http_status() == status
    assert (err.api_error_code(), err.api_error_subcode(), err.api_error_type()) == (code, subcode, "OAuthException")
    assert err.api_transient_error() is transient
    assert err.api_error_message()
    assert err.body()["error"]["fbtrace_id"]
    if kind in ("rate_limited", "quota_exceeded"):  # the Page's BUC usage says when calls may resume
        usage = json.loads(err.http_headers()["X-Business-Use-Case-Usage"])
        assert usage[page_id][0]["type"] == "pages"
        assert usage[page_id][0]["estimated_time_to_regain_access"] == 2  # minutes: retry_after 120 s


def test_facebook_cut_body_is_not_noticed_by_facebook_business(
    sandbox: SandboxControl, sandbox_url: str, fb_page: tuple[str, str]
) -> None:
    page_id, token = fb_page
    sandbox.add_fault("facebook", "malformed", path_contains=f"/{page_id}")
    answer = graph_api(sandbox_url, token).call("GET", (page_id,), params={"fields": "followers_count"})
    assert answer.status() == 200
    assert answer.is_success()  # the SDK's success test passes a cut body...
    assert answer.json() == FB_CUT  # ...and json() hands back the text: the caller must check the type


def test_facebook_timeout_through_facebook_business(
    sandbox: SandboxControl, sandbox_url: str, fb_page: tuple[str, str]
) -> None:
    page_id, token = fb_page
    sandbox.add_fault("facebook", "timeout", path_contains=f"/{page_id}", seconds=1.0)
    session = FacebookSession(access_token=token, timeout=0.2)  # the SDK's own timeout setting
    session.GRAPH = f"{sandbox_url.rstrip('/')}/graph.facebook.com"
    with pytest.raises(requests.Timeout):
        Page(page_id, api=FacebookAdsApi(session, api_version=V)).api_get(fields=["followers_count"])


# ----------------------------------------------------------------------------------------------- LinkedIn


@pytest.fixture
def li_grant(sandbox: SandboxControl) -> dict[str, Any]:
    member = sandbox.create_account("linkedin", "li.faulty", 3_100, seed=23)
    return sandbox.connect("linkedin", member["id"])


def _followers(token: str) -> Any:
    from linkedin_api.clients.restli.client import RestliClient

    return RestliClient().finder(
        resource_path="/memberFollowersCount", finder_name="me", access_token=token, version_string=VERSION
    )


@pytest.mark.parametrize(
    ("kind", "status", "code", "service_code"),
    [
        ("rate_limited", 429, "TOO_MANY_REQUESTS", None),
        ("quota_exceeded", 429, "TOO_MANY_REQUESTS", 101),
        ("server_error", 500, "INTERNAL_SERVER_ERROR", None),
        ("token_expired", 401, "EXPIRED_ACCESS_TOKEN", 65600),
        ("token_revoked", 401, "REVOKED_ACCESS_TOKEN", 65601),
    ],
)
def test_linkedin_faults_through_restli_client(
    sandbox: SandboxControl,
    li_grant: dict[str, Any],
    official: Any,  # noqa: F811
    kind: str,
    status: int,
    code: str,
    service_code: int | None,
) -> None:
    sandbox.add_fault("linkedin", kind, path_contains="/memberFollowersCount")
    got = _followers(li_grant["access_token"])  # no exception: an error is a status and a body
    assert got.status_code == status
    assert got.elements is None
    body = got.response.json()
    assert (body["status"], body["code"], body.get("serviceErrorCode")) == (status, code, service_code)
    assert body["message"]
    assert not {"Retry-After", "X-RateLimit-Remaining"} & set(got.headers)  # LinkedIn sends no limit headers
    if kind == "quota_exceeded":
        assert "DAY limit" in body["message"]
    assert _followers(li_grant["access_token"]).elements[0]["memberFollowersCount"] == 3_100  # fault spent


def test_linkedin_cut_body_raises_in_restli_client(
    sandbox: SandboxControl,
    li_grant: dict[str, Any],
    official: Any,  # noqa: F811
) -> None:
    from linkedin_api.common.errors import ResponseFormattingError

    sandbox.add_fault("linkedin", "malformed", path_contains="/memberFollowersCount")
    with pytest.raises(ResponseFormattingError) as caught:
        _followers(li_grant["access_token"])
    assert isinstance(caught.value.__cause__, ValueError)  # the JSON decoder's error


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("token_expired", 400, "invalid_request"),
        ("token_revoked", 400, "invalid_request"),
        ("server_error", 500, "server_error"),
    ],
)
def test_linkedin_refresh_faults_through_auth_client(
    sandbox: SandboxControl,
    li_grant: dict[str, Any],
    official: Any,  # noqa: F811
    kind: str,
    status: int,
    error: str,
) -> None:
    from linkedin_api.clients.auth.client import AuthClient

    sandbox.add_fault("linkedin", kind, path_contains="/oauth/v2/accessToken")
    auth = AuthClient(client_id=CID, client_secret=SECRET, redirect_url=REDIRECT_URI)
    got = auth.exchange_refresh_token_for_access_token(li_grant["refresh_token"])
    assert got.status_code == status
    assert got.access_token is None
    assert got.response.json()["error"] == error


# ----------------------------------------------------------------------------------------------------- X


@pytest.fixture
def x_token(sandbox: SandboxControl) -> str:
    account = sandbox.create_account("x", "x.faulty", 4_400, seed=12)
    return str(sandbox.connect("x", account["id"])["access_token"])


@pytest.mark.parametrize(
    ("kind", "error", "status", "message"),
    [
        ("rate_limited", tweepy.TooManyRequests, 429, "Too Many Requests"),
        ("quota_exceeded", tweepy.TooManyRequests, 429, "Usage cap exceeded: Monthly product cap"),
        ("server_error", tweepy.TwitterServerError, 503, "Service Unavailable"),
        ("token_expired", tweepy.Unauthorized, 401, "Unauthorized"),
        ("token_revoked", tweepy.Unauthorized, 401, "Unauthorized"),
    ],
)
def test_x_faults_through_tweepy(
    sandbox: SandboxControl, x_token: str, kind: str, error: type[tweepy.HTTPException], status: int, message: str
) -> None:
    sandbox.add_fault("x", kind, path_contains="/2/users/me", retry_after=120)
    with pytest.raises(error) as caught:
        client_for(sandbox, x_token).get_me(user_auth=False, user_fields=["public_metrics"])
    err = caught.value
    assert err.response.status_code == status
    assert err.api_messages == [message]  # tweepy's message: the problem's ``detail``
    problem = err.response.json()
    assert problem["title"]
    assert problem["type"]
    if kind == "rate_limited":  # tweepy's wait_on_rate_limit sleeps until this reset
        assert isinstance(err, tweepy.TooManyRequests)
        assert err.reset_time == int(err.response.headers["x-rate-limit-reset"])
        assert err.response.headers["x-rate-limit-remaining"] == "0"
    if kind == "quota_exceeded":  # the monthly cap names no reset: waiting on it would be wrong
        assert isinstance(err, tweepy.TooManyRequests)
        assert err.reset_time is None
        assert problem["type"] == "https://api.x.com/2/problems/usage-capped"


def test_x_cut_body_raises_in_tweepy(sandbox: SandboxControl, x_token: str) -> None:
    sandbox.add_fault("x", "malformed", path_contains="/2/users/me")
    with pytest.raises(requests.JSONDecodeError):
        client_for(sandbox, x_token).get_me(user_auth=False)
