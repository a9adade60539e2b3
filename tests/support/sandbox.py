"""Reusable pytest fixtures and a small client for the platform sandbox's control API.

Use from any test folder's conftest.py::

    from tests.support.sandbox import sandbox, sandbox_app, sandbox_url  # noqa: F401

``sandbox_url`` (session) serves the sandbox over real HTTP; ``sandbox`` (per test) is a reset
:class:`SandboxControl` whose clock sits at :data:`SANDBOX_TODAY`. Point the product at it with
``PLATFORM_SANDBOX_URL = sandbox_url``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.support.live import serve_wsgi

SANDBOX_TODAY = "2026-10-15"
SANDBOX_TEST_CONFIG: dict[str, Any] = {"TODAY": SANDBOX_TODAY, "SEED": 0, "FAULT_TIMEOUT_SECONDS": 1.0}
REDIRECT_URI = "http://127.0.0.1:5000/api/portal/social/callback/test"

CLIENTS = {
    "instagram": ("sandbox-ig-app", "sandbox-ig-secret"),
    "tiktok": ("sandbox-tiktok-key", "sandbox-tiktok-secret"),
    "youtube": ("sandbox-google-client", "sandbox-google-secret"),
    "x": ("sandbox-x-client", "sandbox-x-secret"),
    "facebook": ("sandbox-fb-app", "sandbox-fb-secret"),
    "linkedin": ("sandbox-linkedin-client", "sandbox-linkedin-secret"),
}
SCOPES = {
    "instagram": "instagram_business_basic,instagram_business_manage_insights",
    "tiktok": "user.info.basic,user.info.profile,user.info.stats,video.list",
    "youtube": "https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/yt-analytics.readonly",
    "x": "tweet.read users.read offline.access",
    "facebook": "pages_show_list,pages_read_engagement,read_insights",
    "linkedin": "openid profile r_member_profileAnalytics r_member_postAnalytics r_member_social rw_organization_admin",
}
AUTHORIZE_PATHS = {
    "instagram": "www.instagram.com/oauth/authorize",
    "tiktok": "www.tiktok.com/v2/auth/authorize/",
    "youtube": "accounts.google.com/o/oauth2/v2/auth",
    "x": "x.com/i/oauth2/authorize",
    "facebook": "www.facebook.com/v25.0/dialog/oauth",
    "linkedin": "www.linkedin.com/oauth/v2/authorization",
}


class SandboxError(AssertionError):
    """A control-API call failed (the sandbox answered 4xx/5xx)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.request.method} {response.url} -> {response.status_code}: {response.text}")
        self.response = response
        self.status_code = response.status_code


def pkce_pair(verifier: str = "sandbox-verifier-" + "x" * 40) -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


class SandboxControl:
    """A thin client for ``{base_url}/_sandbox/`` plus OAuth helpers for tests."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    # ------------------------------------------------------------------ plumbing
    def url(self, host_and_path: str) -> str:
        """``url("graph.instagram.com/v25.0/me")`` -> the sandbox URL of that real host + path."""
        return f"{self.base_url}/{host_and_path.lstrip('/')}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, f"{self.base_url}/_sandbox/{path}", timeout=self.timeout, **kwargs)
        if resp.status_code >= 400:
            raise SandboxError(resp)
        return resp.json()

    # ------------------------------------------------------------------ control API
    def create_account(self, platform: str, username: str, followers: int, **spec: Any) -> dict[str, Any]:
        body = {"platform": platform, "username": username, "followers": followers, **spec}
        return self._call("POST", "accounts", json=body)

    def account(self, account_id: str, history: bool = False, posts: bool = False) -> dict[str, Any]:
        params = {k: "1" for k, v in (("history", history), ("posts", posts)) if v}
        return self._call("GET", f"accounts/{account_id}", params=params)

    def accounts(self, platform: str | None = None) -> list[dict[str, Any]]:
        params = {"platform": platform} if platform else {}
        return self._call("GET", "accounts", params=params)["accounts"]

    def patch_account(self, account_id: str, **changes: Any) -> dict[str, Any]:
        return self._call("PATCH", f"accounts/{account_id}", json=changes)

    def delete_post(self, account_id: str, post_id: str) -> dict[str, Any]:
        """The creator deletes a post at the platform."""
        return self._call("DELETE", f"accounts/{account_id}/posts/{post_id}")

    def revoke(self, account_id: str) -> dict[str, Any]:
        return self._call("POST", f"accounts/{account_id}/revoke")

    def add_comment(self, account_id: str, text: str, author_handle: str, **extra: Any) -> str:
        body = {"text": text, "author_handle": author_handle, **extra}
        return str(self._call("POST", f"accounts/{account_id}/comments", json=body)["id"])

    def comments(self, account_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"accounts/{account_id}/comments")["comments"])

    def set_comments_enabled(self, account_id: str, post_id: str, enabled: bool) -> dict[str, Any]:
        body = {"post_id": post_id, "comments_enabled": enabled}
        return self._call("PATCH", f"accounts/{account_id}/comments", json=body)

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "clock")

    def set_clock(self, today: str | None = None, now: str | None = None) -> dict[str, Any]:
        body = {"today": today} if today else {"now": now}
        return self._call("POST", "clock", json=body)

    def advance_days(self, n: int) -> dict[str, Any]:
        return self._call("POST", "clock", json={"advance_days": n})

    def advance_seconds(self, n: float) -> dict[str, Any]:
        return self._call("POST", "clock", json={"advance_seconds": n})

    def add_fault(
        self,
        platform: str,
        kind: str,
        times: int = 1,
        path_contains: str | None = None,
        retry_after: int | None = None,
        seconds: float | None = None,
        skip: int | None = None,
        query_contains: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"platform": platform, "kind": kind, "times": times}
        for key, value in (
            ("path_contains", path_contains),
            ("query_contains", query_contains),
            ("skip", skip),
            ("retry_after", retry_after),
            ("seconds", seconds),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "faults", json=body)

    def x_state(self, account_id: str, **flags: bool) -> dict[str, Any]:
        """Mark an X account protected and/or suspended."""
        result: dict[str, Any] = self._call("PATCH", f"x/accounts/{account_id}", json=flags)
        return result

    def x_compliance(self, **next_job: Any) -> dict[str, Any]:
        """X's compliance jobs (with the ids they were sent); ``outcome`` / ``malformed_lines`` set what
        the next job to complete does."""
        if next_job:
            self._call("PUT", "x/compliance", json=next_job)
        return self._call("GET", "x/compliance")

    def x_usage(self, post_reads: int | None = None) -> dict[str, Any]:
        """The month's X post reads of the default client (set them with ``post_reads``)."""
        if post_reads is None:
            usage: dict[str, Any] = self._call("GET", "x/usage")["usage"][0]
            return usage
        result: dict[str, Any] = self._call("PUT", "x/usage", json={"post_reads": post_reads})
        return result

    def linkedin_organizations(self, account_id: str, orgs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The LinkedIn Company Pages a member has a role on (replace them with ``orgs``)."""
        path = f"linkedin/accounts/{account_id}/organizations"
        if orgs is None:
            return self._call("GET", path)["organizations"]
        return self._call("PUT", path, json={"organizations": orgs})["organizations"]

    def linkedin_organization(self, account_id: str, org_id: str, **changes: str) -> list[dict[str, Any]]:
        """Change a member's role on a Page (``role``, ``state``: e.g. ``state="REVOKED"``)."""
        path = f"linkedin/accounts/{account_id}/organizations/{org_id}"
        return self._call("PATCH", path, json=changes)["organizations"]

    def faults(self) -> list[dict[str, Any]]:
        """The faults still live (rendezvous parties included)."""
        return list(self._call("GET", "faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def rendezvous(self, name: str, *parties: dict[str, str], timeout: float | None = None) -> dict[str, Any]:
        """Hold the first call matching each party until all are in flight together (``faults.py``);
        ``rendezvous_state(name)["state"]`` is then ``met``, or ``failed`` when one waited ``timeout``."""
        body: dict[str, Any] = {"name": name, "parties": list(parties)}
        if timeout is not None:
            body["timeout"] = timeout
        return self._call("POST", "rendezvous", json=body)

    def rendezvous_state(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"rendezvous/{name}")

    def add_media_fault(self, kind: str, times: int = 1, **options: Any) -> dict[str, Any]:
        """A media-host fault (``huge``, ``slow``, ``redirect``, ``html``, ``bad_magic``, ``not_found``)."""
        return self._call("POST", "media-faults", json={"kind": kind, "times": times, **options})

    def clear_media_faults(self) -> None:
        self._call("DELETE", "media-faults")

    def set_latency(self, ms: int) -> None:
        self._call("PUT", "latency", json={"ms": ms})

    def calls(self, platform: str | None = None) -> list[dict[str, Any]]:
        params = {"platform": platform} if platform else {}
        return self._call("GET", "calls", params=params)["calls"]

    def clear_calls(self) -> None:
        self._call("DELETE", "calls")

    def replicas(self, *items: tuple[str, str]) -> list[dict[str, Any]]:
        """``POST /_sandbox/replicas`` for ``(template account id, username)`` pairs."""
        body = {"replicas": [{"of": of, "username": username} for of, username in items]}
        return list(self._call("POST", "replicas", json=body)["replicas"])

    def tokens(self, account_id: str) -> list[dict[str, Any]]:
        return self._call("GET", "tokens", params={"account": account_id})["tokens"]

    def quota(self) -> dict[str, Any]:
        return self._call("GET", "quota")

    def reset(self) -> None:
        self._call("POST", "reset")

    # ------------------------------------------------------------------ OAuth helpers
    def authorize_url(
        self,
        platform: str,
        redirect_uri: str = REDIRECT_URI,
        state: str = "st-123",
        scope: str | None = None,
        **extra: str,
    ) -> str:
        client_id = CLIENTS[platform][0]
        params: dict[str, str] = {
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
            "scope": scope if scope is not None else SCOPES[platform],
        }
        params["client_key" if platform == "tiktok" else "client_id"] = client_id
        if platform == "youtube":
            params.update({"access_type": "offline", "prompt": "consent"})
        if platform == "x":  # PKCE is mandatory on X
            params.update({"code_challenge": pkce_pair()[1], "code_challenge_method": "S256"})
        params.update(extra)
        return self.url(AUTHORIZE_PATHS[platform]) + "?" + urlencode(params)

    def consent(
        self, authorize_url: str, account_id: str, decision: str = "approve", scopes: list[str] | None = None
    ) -> str:
        """Submit the consent form of ``authorize_url``; returns the redirect ``Location``."""
        form: dict[str, Any] = {"account_id": account_id, "decision": decision}
        if scopes is not None:
            form.update({"granular": "1", "scope": scopes})
        resp = self.http.post(authorize_url, data=form, allow_redirects=False, timeout=self.timeout)
        if resp.status_code != 302:
            raise SandboxError(resp)
        return resp.headers["Location"]

    @staticmethod
    def redirect_params(location: str) -> dict[str, str]:
        query = urlsplit(location.removesuffix("#_")).query
        return {k: v[0] for k, v in parse_qs(query).items()}

    def connect(self, platform: str, account_id: str, redirect_uri: str = REDIRECT_URI) -> dict[str, Any]:
        """Run the whole OAuth dance with the default client; returns the platform's token response.

        Instagram: the long-lived token response (``access_token``, ``expires_in``...).
        """
        location = self.consent(self.authorize_url(platform, redirect_uri), account_id)
        code = self.redirect_params(location)["code"]
        client_id, secret = CLIENTS[platform]
        if platform == "instagram":
            short = self.http.post(
                self.url("api.instagram.com/oauth/access_token"),
                timeout=self.timeout,
                data={
                    "client_id": client_id,
                    "client_secret": secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                    "code": code,
                },
            ).json()
            short = short["data"][0] if "data" in short else short
            resp = self.http.get(
                self.url("graph.instagram.com/access_token"),
                timeout=self.timeout,
                params={
                    "grant_type": "ig_exchange_token",
                    "client_secret": secret,
                    "access_token": short["access_token"],
                },
            )
        elif platform == "x":
            resp = self.http.post(
                self.url("api.x.com/2/oauth2/token"),
                timeout=self.timeout,
                auth=(client_id, secret),
                data={
                    "code": code,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                    "code_verifier": pkce_pair()[0],
                },
            )
        elif platform == "tiktok":
            resp = self.http.post(
                self.url("open.tiktokapis.com/v2/oauth/token/"),
                timeout=self.timeout,
                data={
                    "client_key": client_id,
                    "client_secret": secret,
                    "code": code,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                },
            )
        else:
            token_path = (
                "www.linkedin.com/oauth/v2/accessToken" if platform == "linkedin" else "oauth2.googleapis.com/token"
            )
            resp = self.http.post(
                self.url(token_path),
                timeout=self.timeout,
                data={
                    "client_id": client_id,
                    "client_secret": secret,
                    "code": code,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                },
            )
        if resp.status_code != 200:
            raise SandboxError(resp)
        return resp.json()


@pytest.fixture(scope="session")
def sandbox_app() -> Any:
    from app.sandbox import create_app

    return create_app(dict(SANDBOX_TEST_CONFIG))


@pytest.fixture(scope="session")
def sandbox_url(sandbox_app: Any) -> Iterator[str]:
    with serve_wsgi(sandbox_app) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[SandboxControl]:
    """A reset sandbox (empty world, clock at SANDBOX_TODAY, no faults/latency) for one test."""
    control = SandboxControl(sandbox_url)
    control.reset()
    yield control
    control.http.close()
