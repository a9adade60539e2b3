"""The sandbox state's indexes (``app/sandbox/indexes.py``) agree with the values they index after every
kind of change: inserts, deletions, replies, revocations, a reset, a reload from the state file and
replicas; and the indexed answers are the ones a scan of every value gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from app.sandbox.comments import Comment, replies_of, top_level
from app.sandbox.indexes import AccountStore, CommentStore, TokenStore
from app.sandbox.state import SandboxState
from tests.sandbox.test_comments import IG_ALL, ig_token
from tests.sandbox.test_facebook import V, fb_login
from tests.support.sandbox import SANDBOX_TEST_CONFIG, SandboxControl

T0 = datetime(2026, 10, 14, 10, tzinfo=UTC)


def comment(cid: str, account: str = "ig_1", post: str = "p1", parent: str | None = None, minute: int = 0) -> Comment:
    at = T0.replace(minute=minute)
    return Comment(cid, account, "instagram", post, "hi", "fan", "Fan", "1784", parent, 0, at, at)


def check_all(st: SandboxState) -> None:
    """Every index agrees with its dict, and the indexed queries answer as full scans do."""
    st.accounts.check()
    st.tokens.check()
    st.comments.check()
    plain = dict(st.comments)
    for c in st.comments.values():
        assert replies_of(st.comments, c.id) == replies_of(plain, c.id)
        assert top_level(st.comments, c.account_id, c.post_id) == top_level(plain, c.account_id, c.post_id)
        assert top_level(st.comments, c.account_id) == top_level(plain, c.account_id)
    for acc in st.accounts.values():
        scan = [a for a in st.accounts.values() if a.platform == acc.platform]
        assert st.platform_accounts(acc.platform) == scan
        assert st.platform_accounts(acc.platform, acc.id) == [acc, *(a for a in scan if a is not acc)]
        assert st.accounts.with_user_id(acc.platform, acc.platform_user_id) == [acc]
        assert st.accounts.of_owner(acc.platform, acc.owner) == [a for a in scan if a.owner == acc.owner]
        assert st.tokens.of_account(acc.id) == [t for t in st.tokens.values() if t.account_id == acc.id]
    for tok in st.tokens.values():
        assert st.tokens.of_grant(tok.grant_id) == [t for t in st.tokens.values() if t.grant_id == tok.grant_id]


def test_every_way_of_changing_a_store_keeps_its_indexes() -> None:
    store = CommentStore({"a": comment("a"), "b": comment("b", post="p2")})
    store["r1"] = comment("r1", parent="a", minute=5)
    store.update({"r2": comment("r2", parent="a", minute=1)}, c=comment("c", account="ig_2"))
    store |= {"d": comment("d")}
    store.setdefault("e", comment("e", post="p2"))
    store.check()
    assert [c.id for c in store.replies("a")] == ["r1", "r2"]
    assert [c.id for c in replies_of(store, "a")] == ["r2", "r1"]  # oldest first
    assert [c.id for c in store.on_post("ig_1", "p1")] == ["a", "r1", "r2", "d"]
    store["r1"] = comment("r1", parent="b", post="p2")  # replaced by a value with other keys
    store.check()
    assert [c.id for c in store.replies("a")] == ["r2"]
    assert [c.id for c in store.replies("b")] == ["r1"]
    del store["r2"]
    assert store.pop("d").id == "d"
    assert store.pop("nothing", None) is None
    store.popitem()
    store.check()
    assert store.replies("a") == []
    assert [c.id for c in store.on_post("ig_1", "p1")] == ["a"]
    assert [c.id for c in store.of_account("ig_2")] == ["c"]
    store.clear()
    store.check()
    assert (store.of_account("ig_1"), store.replies("b")) == ([], [])


def test_a_stale_index_is_caught_by_check() -> None:
    """``check`` can fail: an index changed behind the store's back is reported."""
    store = TokenStore()
    store.check()
    store._idx["grant"]["g-ghost"] = {"ghost": None}
    with pytest.raises(AssertionError, match="TokenStore.grant"):
        store.check()


def test_indexes_follow_the_platform_calls_revocations_replicas_and_a_reset(
    sandbox: SandboxControl, sandbox_app: Any
) -> None:
    st: SandboxState = sandbox_app.extensions["sandbox"]
    check_all(st)
    ig = sandbox.create_account("instagram", "ig.indexed", 5_000, seed=31, history_days=30)
    other = sandbox.create_account("instagram", "ig.other", 3_000, seed=32, history_days=30)
    yt = sandbox.create_account("youtube", "yt.indexed", 4_000, seed=33)
    ids = [sandbox.add_comment(ig["id"], f"c{i}", f"fan_{i}") for i in range(4)]
    sandbox.add_comment(ig["id"], "a reply", "fan_x", parent_id=ids[0])
    sandbox.add_comment(other["id"], "elsewhere", "fan_y")
    sandbox.add_comment(yt["id"], "yt comment", "fan_z")
    token = ig_token(sandbox, ig["id"], IG_ALL)
    ig_token(sandbox, other["id"], IG_ALL)
    check_all(st)

    # two Pages of one person: their Page tokens (one per Page and grant, the same on every call)
    fb = sandbox.create_account("facebook", "fb.page1", 1_000, seed=34, owner="Dana")
    sandbox.create_account("facebook", "fb.page2", 2_000, seed=35, owner="Dana")
    user_token = fb_login(sandbox, fb["id"])
    listed = [
        requests.get(
            sandbox.url(f"graph.facebook.com/{V}/me/accounts"),
            params={"fields": "id,access_token", "access_token": user_token},
            timeout=10,
        ).json()["data"]
        for _ in range(2)
    ]
    assert len(listed[0]) == 2
    assert listed[0] == listed[1]
    grant = st.tokens[user_token].grant_id
    assert sorted(t.value for t in st.tokens.of_grant(grant) if t.kind == "fb_page") == sorted(
        p["access_token"] for p in listed[0]
    )
    check_all(st)
    gone = requests.delete(
        sandbox.url(f"graph.facebook.com/{V}/me/permissions"), params={"access_token": user_token}, timeout=10
    )
    assert gone.json() == {"success": True}
    assert all(t.revoked for t in st.tokens.of_grant(grant))
    check_all(st)

    # an owner's reply and a deletion through the platform API
    reply = requests.post(
        sandbox.url(f"graph.instagram.com/v25.0/{ids[1]}/replies"),
        params={"access_token": token, "message": "Thanks!"},
        timeout=10,
    ).json()
    assert [c.id for c in replies_of(st.comments, ids[1])] == [reply["id"]]
    deleted = requests.delete(
        sandbox.url(f"graph.instagram.com/v25.0/{ids[2]}"), params={"access_token": token}, timeout=10
    )
    assert deleted.json() == {"success": True}
    assert ids[2] not in [c.id for c in top_level(st.comments, ig["id"])]  # still indexed, no longer visible
    check_all(st)

    # replicas (accounts and tokens inserted in bulk), then a revocation
    rep, rep2 = sandbox.replicas((ig["id"], "ig.copy1"), (yt["id"], "yt.copy1"))
    assert {t.value for t in st.tokens.of_account(rep["id"])} == set(rep["tokens"].values())
    assert st.accounts.with_user_id("youtube", rep2["platform_user_id"])[0].id == rep2["id"]
    check_all(st)
    sandbox.revoke(ig["id"])
    assert all(t.revoked for t in st.tokens.of_account(ig["id"]))
    assert not any(t.revoked for t in st.tokens.of_account(rep["id"]))
    check_all(st)

    sandbox.reset()
    assert (len(st.accounts), len(st.tokens), len(st.comments)) == (0, 0, 0)
    assert st.platform_accounts("instagram") == []
    assert st.comments.replies(ids[0]) == []
    assert st.tokens.of_account(rep["id"]) == []
    check_all(st)


def test_a_reloaded_state_has_its_indexes(tmp_path: Any) -> None:
    cfg = {**SANDBOX_TEST_CONFIG, "STATE_FILE": str(tmp_path / "state.json")}
    st = SandboxState.create(cfg)
    acc = st.create_account({"platform": "instagram", "username": "ig.saved", "followers": 1_000, "seed": 5})
    st.issue_token("instagram", "ig_long", acc.id, "sandbox-ig-app", [], 3600, "g1")
    st.comments["a"] = comment("a", account=acc.id)
    st.comments["r"] = comment("r", account=acc.id, parent="a")
    st.save()

    again = SandboxState.create(cfg)
    assert again.load()
    assert isinstance(again.accounts, AccountStore)
    assert isinstance(again.tokens, TokenStore)
    assert isinstance(again.comments, CommentStore)
    assert [a.id for a in again.platform_accounts("instagram")] == [acc.id]
    assert [t.account_id for t in again.tokens.of_grant("g1")] == [acc.id]
    assert [c.id for c in replies_of(again.comments, "a")] == ["r"]
    check_all(again)


def test_window_counts_by_bisection_match_a_count_of_every_hit() -> None:
    """``window_count`` bisects the sorted window; hits taken after the clock was set back keep it sorted."""
    st = SandboxState.create({**SANDBOX_TEST_CONFIG, "TODAY": "2026-10-14"})
    moves = [0, 10, 10, 30, 3000, -500, 200, 4000, -4000, 60, 60, 7000]
    for step in moves:
        st.clock.advance(timedelta(seconds=step))
        st.window_hit("meta_app|app", 3600)
        dq = st.windows["meta_app|app"]
        assert list(dq) == sorted(dq)
        now = st.now().timestamp()
        for seconds in (1, 60, 3600, 86400):
            assert st.window_count("meta_app|app", seconds) == sum(1 for t in dq if t > now - seconds)
    assert st.window_count("meta_buc|nobody", 3600) == 0
