"""X's batch compliance jobs in the sandbox, read through tweepy (``OAuth2AppHandler`` for the app-only
token, ``Client.create_compliance_job`` / ``get_compliance_job`` / ``get_compliance_jobs``) and over plain
HTTP for the signed storage URLs tweepy leaves to the caller: the job's fields, created -> in_progress ->
complete once ids are uploaded, results for deleted posts and suspended/protected authors, error
envelopes for bad input and for a user-context token."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import tweepy

from tests.sandbox.test_x import client_for, tweepy_connect
from tests.support.sandbox import SandboxControl

REAL_POST = requests.post
KEY, SECRET = "sandbox-x-api-key", "sandbox-x-api-secret"
JOB_FIELDS = {
    "id",
    "type",
    "name",
    "resumable",
    "upload_url",
    "upload_expires_at",
    "download_url",
    "download_expires_at",
    "status",
    "created_at",
}


def app_token(sandbox: SandboxControl, monkeypatch: pytest.MonkeyPatch, key: str = KEY, secret: str = SECRET) -> str:
    """tweepy's app-only handler, its hard-coded ``api.twitter.com/oauth2/token`` sent to the sandbox."""

    def post(url: str, *args: Any, **kwargs: Any) -> requests.Response:
        return REAL_POST(f"{sandbox.base_url}/{url.removeprefix('https://')}", *args, timeout=10, **kwargs)

    monkeypatch.setattr(tweepy.auth.requests, "post", post)
    handler = tweepy.OAuth2AppHandler(key, secret)
    token: str = handler._bearer_token
    return token


def storage(sandbox: SandboxControl, url: str) -> str:
    assert url.startswith("https://storage.googleapis.com/twttr-")
    return f"{sandbox.base_url}/{url.removeprefix('https://')}"


@pytest.fixture
def accounts(sandbox: SandboxControl) -> dict[str, dict[str, Any]]:
    return {
        "kept": sandbox.create_account("x", "x.kept", 100, seed=31, post_every_days=1, history_days=10),
        "suspended": sandbox.create_account("x", "x.susp", 100, seed=32, post_every_days=1, history_days=10),
        "protected": sandbox.create_account("x", "x.prot", 100, seed=33, post_every_days=1, history_days=10),
    }


def test_tweets_job_through_tweepy(
    sandbox: SandboxControl, accounts: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = app_token(sandbox, monkeypatch)
    assert token.startswith("AAAAAAAAAAAAAAAAAAAAA")
    assert app_token(sandbox, monkeypatch) == token  # the same app token until invalidated, as X does
    client = client_for(sandbox, token)
    posts = {k: sandbox.account(a["id"], posts=True)["posts"] for k, a in accounts.items()}
    deleted, kept = posts["kept"][3]["id"], posts["kept"][4]["id"]
    sandbox.delete_post(accounts["kept"]["id"], deleted)
    sandbox.x_state(accounts["suspended"]["id"], suspended=True)
    sandbox.x_state(accounts["protected"]["id"], protected=True)
    ids = [deleted, kept, posts["suspended"][0]["id"], posts["protected"][0]["id"], "1999999999999999999"]

    job = client.create_compliance_job("tweets", name="nightly").data
    assert set(job) == JOB_FIELDS
    assert job["status"] == "created"
    assert job["type"] == "tweets"
    assert job["name"] == "nightly"
    assert job["resumable"] is False
    assert job["upload_expires_at"].endswith(".000Z")
    assert job["created_at"] < job["download_expires_at"]
    # a second active job of the same type is refused (X allows one a type at a time)
    with pytest.raises(tweepy.BadRequest):
        client.create_compliance_job("tweets")
    # the download URL answers only once the job is complete
    early = requests.get(storage(sandbox, job["download_url"]), timeout=10)
    assert early.status_code == 404
    assert "<Code>NoSuchKey</Code>" in early.text
    up = requests.put(
        storage(sandbox, job["upload_url"]),
        data="\n".join(ids) + "\n",
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert up.status_code == 200
    assert client.get_compliance_job(job["id"]).data["status"] == "in_progress"
    done = client.get_compliance_job(job["id"]).data
    assert done["status"] == "complete"
    listed = client.get_compliance_jobs("tweets", status="complete").data
    assert [j["id"] for j in listed] == [job["id"]]
    body = requests.get(storage(sandbox, done["download_url"]), timeout=10)
    assert body.status_code == 200
    lines = [json.loads(line) for line in body.text.splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert set(by_id) == {deleted, posts["suspended"][0]["id"], posts["protected"][0]["id"], "1999999999999999999"}
    assert kept not in by_id  # ids not listed need no action
    assert by_id[deleted]["reason"] == "deleted"
    assert by_id[posts["suspended"][0]["id"]]["reason"] == "suspended"
    assert by_id[posts["protected"][0]["id"]]["reason"] == "protected"
    assert all(set(line) == {"id", "action", "created_at", "redacted_at", "reason"} for line in lines)
    assert all(line["action"] == "delete" for line in lines)
    assert by_id[deleted]["created_at"].startswith(posts["kept"][3]["published_at"][:10])
    # a second upload to the same job is refused by the storage host
    again = requests.put(storage(sandbox, job["upload_url"]), data=f"{kept}\n", timeout=10)
    assert again.status_code == 400
    assert "ExpiredToken" in again.text


def test_users_job_failed_outcome_and_malformed_lines(
    sandbox: SandboxControl, accounts: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(sandbox, app_token(sandbox, monkeypatch))
    users = {k: sandbox.account(a["id"])["platform_user_id"] for k, a in accounts.items()}
    sandbox.x_state(accounts["suspended"]["id"], suspended=True)
    sandbox.x_compliance(malformed_lines=1)
    job = client.create_compliance_job("users").data
    requests.put(storage(sandbox, job["upload_url"]), data="\n".join(users.values()), timeout=10)
    client.get_compliance_job(job["id"])
    done = client.get_compliance_job(job["id"]).data
    assert done["status"] == "complete"
    text = requests.get(storage(sandbox, done["download_url"]), timeout=10).text
    good, bad = [], 0
    for line in text.splitlines():
        try:
            good.append(json.loads(line))
        except ValueError:
            bad += 1
    assert bad == 1
    assert [(r["id"], r["reason"]) for r in good] == [(users["suspended"], "suspended")]
    # the control API makes the next job fail at X
    sandbox.x_compliance(outcome="failed")
    job = client.create_compliance_job("users").data
    requests.put(storage(sandbox, job["upload_url"]), data=users["kept"], timeout=10)
    client.get_compliance_job(job["id"])
    assert client.get_compliance_job(job["id"]).data["status"] == "failed"


def test_errors(sandbox: SandboxControl, accounts: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(tweepy.TweepyException):  # wrong consumer secret: no token
        app_token(sandbox, monkeypatch, secret="wrong")
    denied = REAL_POST(
        sandbox.url("api.x.com/oauth2/token"),
        auth=(KEY, "wrong"),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == 99
    token = app_token(sandbox, monkeypatch)
    client = client_for(sandbox, token)
    with pytest.raises(tweepy.BadRequest) as bad:
        client.create_compliance_job("likes")
    assert "type" in str(bad.value)
    with pytest.raises(tweepy.BadRequest):
        client.create_compliance_job("tweets", name="n" * 65)
    with pytest.raises(tweepy.NotFound):
        client.get_compliance_job("1")
    resp = requests.get(
        sandbox.url("api.x.com/2/compliance/jobs/abc"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 400
    assert resp.json()["type"].endswith("/invalid-request")
    # a user-context token is refused: these endpoints take app-only auth
    user = tweepy_connect(sandbox, accounts["kept"]["id"], monkeypatch)
    with pytest.raises(tweepy.Forbidden) as forbidden:
        client_for(sandbox, user["access_token"]).create_compliance_job("tweets")
    assert "Application-Only" in str(forbidden.value)
    with pytest.raises(tweepy.Unauthorized):
        client_for(sandbox, "nope").get_compliance_jobs("tweets")
    # bad uploads: not ids, and a signature that does not match
    job = client.create_compliance_job("tweets").data
    resp = requests.put(storage(sandbox, job["upload_url"]), data="not an id\n", timeout=10)
    assert resp.status_code == 400
    assert "InvalidArgument" in resp.text
    forged = storage(sandbox, job["upload_url"]).replace("X-Goog-Signature=", "X-Goog-Signature=0")
    assert requests.put(forged, data="1\n", timeout=10).status_code == 403
