"""The sandbox's rendezvous (``app/sandbox/faults.py``): calls in flight together meet, calls one after the
other never do (the held call is answered after the timeout, as usual, and the rendezvous is ``failed``).
What the sync's overlap tests (tests/sync/test_overlap.py) stand on; no timing is asserted."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxControl, SandboxError

ME = {"platform": "x", "path_contains": "/2/users/me"}
TWEETS = {"platform": "x", "path_contains": "/tweets"}


@pytest.fixture
def x_token(sandbox: SandboxControl) -> tuple[str, str]:
    account = sandbox.create_account("x", "x.meets", 1_200, seed=3)
    return sandbox.connect("x", account["id"])["access_token"], account["platform_user_id"]


def _get(sandbox: SandboxControl, path: str, token: str, out: list[int] | None = None) -> int:
    status = requests.get(sandbox.url(path), headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code
    if out is not None:
        out.append(status)
    return status


def test_calls_one_after_the_other_never_meet(sandbox: SandboxControl, x_token: tuple[str, str]) -> None:
    token, user = x_token
    assert sandbox.rendezvous("seq", ME, TWEETS, timeout=0.3) == {
        "name": "seq",
        "parties": 2,
        "arrived": 0,
        "state": "waiting",
    }
    assert _get(sandbox, "api.x.com/2/users/me", token) == 200  # held, then answered as usual
    assert sandbox.rendezvous_state("seq")["state"] == "failed"
    assert _get(sandbox, f"api.x.com/2/users/{user}/tweets", token) == 200
    assert sandbox.rendezvous_state("seq") == {"name": "seq", "parties": 2, "arrived": 2, "state": "failed"}


def test_calls_in_flight_together_meet(sandbox: SandboxControl, x_token: tuple[str, str]) -> None:
    token, user = x_token
    sandbox.rendezvous("together", ME, TWEETS, timeout=30)
    statuses: list[int] = []
    held = threading.Thread(target=_get, args=(sandbox, "api.x.com/2/users/me", token, statuses))
    held.start()  # waits at the sandbox until the other party arrives
    assert _get(sandbox, f"api.x.com/2/users/{user}/tweets", token) == 200
    held.join()
    assert statuses == [200]
    assert sandbox.rendezvous_state("together") == {"name": "together", "parties": 2, "arrived": 2, "state": "met"}
    marked = [c["path"] for c in sandbox.calls("x") if c.get("fault") == "rendezvous"]
    assert sorted(marked) == sorted(["/api.x.com/2/users/me", f"/api.x.com/2/users/{user}/tweets"])
    assert sandbox.faults() == []  # each party matches one call


def test_three_calls_to_one_endpoint_meet_and_a_fourth_passes(
    sandbox: SandboxControl, x_token: tuple[str, str]
) -> None:
    token, _ = x_token
    sandbox.rendezvous("three", ME, ME, ME, timeout=30)
    statuses: list[int] = []
    threads = [threading.Thread(target=_get, args=(sandbox, "api.x.com/2/users/me", token, statuses)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200, 200]
    assert sandbox.rendezvous_state("three")["state"] == "met"
    assert _get(sandbox, "api.x.com/2/users/me", token) == 200  # no party left: not held
    assert sandbox.rendezvous_state("three")["arrived"] == 3


def test_off_by_default_and_gone_after_reset(sandbox: SandboxControl) -> None:
    with pytest.raises(SandboxError) as err:
        sandbox.rendezvous_state("nothing")
    assert err.value.status_code == 404
    sandbox.rendezvous("r", ME, TWEETS)
    assert [f["kind"] for f in sandbox.faults()] == ["rendezvous", "rendezvous"]
    sandbox.reset()
    assert sandbox.faults() == []
    with pytest.raises(SandboxError):
        sandbox.rendezvous_state("r")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "r", "parties": [ME]},  # one party cannot meet anyone
        {"name": "", "parties": [ME, TWEETS]},
        {"name": "r", "parties": [ME, {"platform": "x"}]},
        {"name": "r", "parties": [ME, {"platform": "myspace", "path_contains": "/x"}]},
        {"name": "r", "parties": [ME, {**TWEETS, "query_contains": ""}]},
        {"name": "r", "parties": [ME, {**TWEETS, "kind": "timeout"}]},
        {"name": "r", "parties": [ME, TWEETS], "timeout": 0},
        {"name": "r", "parties": [ME, TWEETS], "timeout": 61},
        {"name": "r", "parties": [ME, TWEETS], "times": 2},
        {"name": "r", "parties": [ME] * 11},
    ],
)
def test_bad_rendezvous_are_refused(sandbox: SandboxControl, body: dict[str, Any]) -> None:
    resp = sandbox.http.post(sandbox.url("_sandbox/rendezvous"), json=body, timeout=10)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "invalid_request"
