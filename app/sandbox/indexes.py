"""The sandbox state's stores with indexes: accounts, tokens and comments, each still a ``dict`` by id.

A benchmark world holds tens of thousands of accounts (``POST /_sandbox/replicas``: 30,000 in
``bench/sync.py --replicate-from``), twice as many tokens and a comment stream per post. A request that
found its rows by scanning every value (an account's comments on a post, a comment's replies, a grant's
Page token, a platform's accounts) cost more the larger the world, under the sandbox's one lock. These
stores keep, beside the dict, one index per question (key -> the matching values by id, in insertion
order, so a filtered index gives the rows a scan of the dict would, in the same order).

The indexes hold only fields that never change once a value is stored (ids, owner, post, parent, grant,
platform): visibility, moderation and revocation are read from the values at query time, so flipping a
flag needs no upkeep. Every way of changing the dict (``[]=``, ``del``, ``pop``, ``update``, ``clear``,
``setdefault``, ``popitem``, ``|=``) updates the indexes; ``check()`` recomputes them from the values
(the tests compare after inserts, deletions, replies, revocations, a reset, a reload and replicas).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, TypeVar

V = TypeVar("V")
_MISSING: Any = object()


class IndexedStore(dict[str, V]):
    """A dict by id with one index per entry of ``INDEXES`` (name -> a function giving a value's key;
    a key of ``None`` leaves the value out of that index)."""

    INDEXES: dict[str, Any] = {}

    def __init__(self, data: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        super().__init__()
        self._idx: dict[str, dict[Hashable, dict[str, V]]] = {name: {} for name in self.INDEXES}
        self.update(data)

    def _keys(self, value: V) -> list[Hashable]:
        return [key(value) for key in self.INDEXES.values()]

    def _add(self, vid: str, value: V) -> None:
        for name, k in zip(self.INDEXES, self._keys(value), strict=True):
            if k is not None:
                self._idx[name].setdefault(k, {})[vid] = value

    def _drop(self, vid: str, value: V) -> None:
        for name, k in zip(self.INDEXES, self._keys(value), strict=True):
            if k is None:
                continue
            bucket = self._idx[name].get(k)
            if bucket is not None:
                bucket.pop(vid, None)
                if not bucket:
                    del self._idx[name][k]

    def lookup(self, index: str, key: Hashable) -> list[V]:
        """The values whose ``index`` key is ``key``, in the order they were stored."""
        bucket = self._idx[index].get(key)
        return list(bucket.values()) if bucket else []

    # ------------------------------------------------------------------ every way to change the dict
    def __setitem__(self, vid: str, value: V) -> None:
        old = dict.get(self, vid, _MISSING)
        if old is not _MISSING:
            if old is value or self._keys(old) == self._keys(value):
                for name, k in zip(self.INDEXES, self._keys(value), strict=True):
                    if k is not None:
                        self._idx[name][k][vid] = value  # same place in its buckets, as in the dict
                super().__setitem__(vid, value)
                return
            self._drop(vid, old)
            super().__setitem__(vid, value)  # keeps the id's place in the dict: its new buckets are rebuilt
            for (name, key), k in zip(self.INDEXES.items(), self._keys(value), strict=True):
                if k is not None:  # in dict order (a scan: ids are never reused with other keys by the sandbox)
                    self._idx[name][k] = {i: v for i, v in self.items() if key(v) == k}
            return
        super().__setitem__(vid, value)
        self._add(vid, value)

    def __delitem__(self, vid: str) -> None:
        self._drop(vid, self[vid])
        super().__delitem__(vid)

    def pop(self, vid: str, default: Any = _MISSING) -> Any:
        if vid in self:
            value = self[vid]
            del self[vid]
            return value
        if default is _MISSING:
            raise KeyError(vid)
        return default

    def popitem(self) -> tuple[str, V]:
        vid, value = super().popitem()
        self._drop(vid, value)
        return vid, value

    def setdefault(self, vid: str, default: Any = None) -> V:
        if vid not in self:
            self[vid] = default
        return self[vid]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for vid, value in dict(*args, **kwargs).items():
            self[vid] = value

    def __ior__(self, other: Any) -> IndexedStore[V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        for index in self._idx.values():
            index.clear()

    def check(self) -> None:
        """Raise AssertionError unless every index is what the values give (for the tests)."""
        fresh = type(self)(dict(self))
        for name in self.INDEXES:
            mine = {k: list(b) for k, b in self._idx[name].items()}
            theirs = {k: list(b) for k, b in fresh._idx[name].items()}
            if mine != theirs:
                raise AssertionError(f"{type(self).__name__}.{name} disagrees with the values")


class AccountStore(IndexedStore[Any]):
    """Accounts by id; by platform, by (platform, platform user id) for the lookups of a Page, a
    channel or a user named in a request, and by (platform, owner) for a Facebook user's Pages."""

    INDEXES = {
        "platform": lambda a: a.platform,
        "user_id": lambda a: (a.platform, a.platform_user_id),
        "owner": lambda a: (a.platform, a.owner),
    }

    def of_platform(self, platform: str, first: str | None = None) -> list[Any]:
        """The platform's accounts in creation order, ``first`` (an account id) in front."""
        bucket = self._idx["platform"].get(platform)
        if not bucket:
            return []
        if first is None or first not in bucket:
            return list(bucket.values())
        rest = dict(bucket)  # copied and cut in C: no comparison of accounts, no Python loop
        own = rest.pop(first)
        return [own, *rest.values()]

    def with_user_id(self, platform: str, user_id: str, first: str | None = None) -> list[Any]:
        """The platform's accounts with this platform user id (unique: at most one in practice), in
        creation order but ``first`` (an account id) in front, as ``SandboxState.platform_accounts``."""
        found = self.lookup("user_id", (platform, user_id))
        if first is not None and len(found) > 1:
            found.sort(key=lambda a: a.id != first)  # stable: the rest keep their order
        return found

    def of_owner(self, platform: str, owner: str) -> list[Any]:
        """The platform's accounts managed by ``owner`` (Facebook: the person behind Pages), in creation order."""
        return self.lookup("owner", (platform, owner))


class TokenStore(IndexedStore[Any]):
    """Tokens by value; by account (an app-only token's account is ``""``) and by grant."""

    INDEXES = {
        "account": lambda t: t.account_id,
        "grant": lambda t: t.grant_id,
    }

    def of_account(self, account_id: str) -> list[Any]:
        return self.lookup("account", account_id)

    def of_grant(self, grant_id: str) -> list[Any]:
        return self.lookup("grant", grant_id)


class CommentStore(IndexedStore[Any]):
    """Comments by id; by parent (replies), by (account, post) and by account."""

    INDEXES = {
        "parent": lambda c: c.parent_id,
        "post": lambda c: (c.account_id, c.post_id),
        "account": lambda c: c.account_id,
    }

    def replies(self, parent_id: str) -> list[Any]:
        return self.lookup("parent", parent_id)

    def on_post(self, account_id: str, post_id: str) -> list[Any]:
        return self.lookup("post", (account_id, post_id))

    def of_account(self, account_id: str) -> list[Any]:
        return self.lookup("account", account_id)
