"""Normalised records and helpers: PKCE, scopes, masking, timestamps, loop-safe paging."""

from __future__ import annotations

import base64
import hashlib
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from app.platforms.base import (
    ContentItem,
    PageGuard,
    TokenSet,
    aware_utc,
    dedupe,
    extract_hashtags,
    make_pkce_pair,
    parse_scopes,
    pkce_challenge,
    to_int,
)
from app.platforms.errors import (
    BadResponse,
    PlatformError,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)


def test_pkce_pair_is_s256_and_fresh() -> None:
    v1, c1 = make_pkce_pair()
    v2, c2 = make_pkce_pair()
    assert v1 != v2
    assert c1 != c2
    assert 43 <= len(v1) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(v1.encode()).digest()).rstrip(b"=").decode()
    assert c1 == expected == pkce_challenge(v1)


def test_parse_scopes() -> None:
    assert parse_scopes("a,b c\td") == {"a", "b", "c", "d"}
    assert parse_scopes(["a b", "c"]) == {"a", "b", "c"}
    assert parse_scopes(None) == frozenset()
    assert parse_scopes(5) == frozenset()


def test_token_set_repr_masks_tokens() -> None:
    ts = TokenSet(access_token="ACCESS-CANARY", refresh_token="REFRESH-CANARY", scopes=frozenset({"x"}))
    for text in (repr(ts), str(ts), f"{ts}", repr([ts])):
        assert "CANARY" not in text
    assert "13 chars" in repr(ts)
    assert ts.issued_at.tzinfo is not None
    with pytest.raises(AttributeError):
        ts.access_token = "x"  # type: ignore[misc]


def test_expires_within() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ts = TokenSet(access_token="a", expires_at=now + timedelta(minutes=10))
    assert ts.expires_within(timedelta(minutes=15), now)
    assert not ts.expires_within(timedelta(minutes=5), now)
    assert not TokenSet(access_token="a").expires_within(timedelta(days=1), now)


@pytest.mark.parametrize(
    "value",
    [
        "2026-10-01T12:34:56+0000",
        "2026-10-01T12:34:56Z",
        "2026-10-01T14:34:56+02:00",
        1790858096,
        "1790858096",
    ],
)
def test_aware_utc(value: object) -> None:
    parsed = aware_utc(value, "x")
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)
    if not str(value).isdigit():
        assert parsed == datetime(2026, 10, 1, 12, 34, 56, tzinfo=UTC)


def test_aware_utc_rejects_garbage() -> None:
    for bad in (None, "yesterday", True, [1]):
        with pytest.raises(BadResponse):
            aware_utc(bad, "x")


def test_hashtags_and_ints() -> None:
    assert extract_hashtags("Hi #Fitness and #fitness #run_2026!", "#Shorts a#b") == (
        "fitness",
        "run_2026",
        "shorts",
    )
    assert to_int("15400") == 15400
    assert to_int(3.7) == 3
    assert to_int(None) is None
    assert to_int("x") is None
    assert to_int(True) is None


def test_page_guard_is_loop_safe() -> None:
    guard = PageGuard("x", max_pages=3)
    assert guard.next_allowed("a")
    assert guard.next_allowed("b")
    assert not guard.next_allowed("a")  # a cycle ends the walk
    assert not guard.next_allowed(None)
    assert not guard.next_allowed("")
    assert guard.next_allowed("c")
    with pytest.raises(BadResponse):
        guard.next_allowed("d")


def test_dedupe_keeps_first() -> None:
    now = datetime.now(UTC)
    a = ContentItem(platform_id="1", kind="image", published_at=now, metrics={"likes": 1})
    b = ContentItem(platform_id="1", kind="image", published_at=now, metrics={"likes": 2})
    c = ContentItem(platform_id="2", kind="video", published_at=now)
    assert dedupe([a, c, b]) == [a, c]


def test_errors_are_scrubbed_and_picklable() -> None:
    err = RateLimited("failed https://x/y?access_token=CANARY123", retry_after=30, platform="instagram", status=400)
    assert "CANARY123" not in str(err)
    assert err.retry_after == 30
    assert err.retryable
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, RateLimited)
    assert again.retry_after == 30
    assert str(again) == str(err)
    quota = QuotaExceeded("q", resets_at=datetime(2026, 1, 2, 8, tzinfo=UTC), platform="youtube")
    assert pickle.loads(pickle.dumps(quota)).resets_at == quota.resets_at
    missing = ScopeMissing("m", missing={"a"}, platform="tiktok")
    assert pickle.loads(pickle.dumps(missing)).missing == {"a"}
    assert isinstance(TokenExpired("t"), PlatformError)
    assert not TokenExpired("t").retryable
