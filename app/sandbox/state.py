"""The sandbox's mutable state: clock, world, tokens, codes, faults, call log, quotas and rate windows.

One re-entrant lock guards everything; request handlers take it for their whole computation (the
computations are short) so the threaded server stays consistent. Sleeps (latency, timeouts) happen
outside the lock.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
import threading
from bisect import bisect_right
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .comments import Comment
from .indexes import AccountStore, CommentStore, TokenStore
from .util import b64chars, day_start, h64, hexchars, pacific_date, parse_datetime, utc
from .world import Account, build_account


class Clock:
    """Simulated time: frozen at a moment, or real time plus an offset."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self.frozen = frozen
        self.offset = timedelta(0)

    def now(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return (datetime.now(UTC) + self.offset).replace(microsecond=0)

    def set_today(self, d: date) -> None:
        self.frozen = day_start(d) + timedelta(hours=12)
        self.offset = timedelta(0)

    def set_now(self, dt: datetime) -> None:
        self.frozen = utc(dt).replace(microsecond=0)
        self.offset = timedelta(0)

    def advance(self, delta: timedelta) -> None:
        if self.frozen is not None:
            self.frozen += delta
        else:
            self.offset += delta

    def to_json(self) -> dict[str, Any]:
        return {
            "frozen": self.frozen.isoformat() if self.frozen else None,
            "offset": self.offset.total_seconds(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Clock:
        clock = cls(parse_datetime(data["frozen"]) if data.get("frozen") else None)
        clock.offset = timedelta(seconds=float(data.get("offset", 0)))
        return clock


def initial_clock(today: str | None) -> Clock:
    if not today:
        return Clock(None)
    if len(today) == 10:
        clock = Clock()
        clock.set_today(date.fromisoformat(today))
        return clock
    return Clock(parse_datetime(today).replace(microsecond=0))


@dataclass
class Token:
    value: str
    platform: str
    kind: str  # ig_short | ig_long | access | refresh
    account_id: str
    client_id: str
    scopes: list[str]
    issued_at: datetime
    expires_at: datetime | None
    grant_id: str
    revoked: bool = False
    superseded: bool = False  # a rotated-away refresh token

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["issued_at"] = self.issued_at.isoformat()
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Token:
        data = dict(data)
        data["issued_at"] = parse_datetime(data["issued_at"])
        data["expires_at"] = parse_datetime(data["expires_at"]) if data.get("expires_at") else None
        return cls(**data)


@dataclass
class AuthCode:
    value: str
    platform: str
    account_id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    issued_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    offline: bool = True
    used: bool = False
    grant_id: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["issued_at"] = self.issued_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthCode:
        data = dict(data)
        data["issued_at"] = parse_datetime(data["issued_at"])
        return cls(**data)


TOKEN_SHAPES = {
    # (platform, kind) -> (prefix, random length)
    ("instagram", "ig_short"): ("IGAA", 140),
    ("instagram", "ig_long"): ("IGAA", 160),
    ("instagram", "code"): ("AQ", 150),
    ("tiktok", "access"): ("act.", 72),
    ("tiktok", "refresh"): ("rft.", 72),
    ("tiktok", "code"): ("", 100),
    ("youtube", "access"): ("ya29.a0", 140),
    ("youtube", "refresh"): ("1//0", 96),
    ("youtube", "code"): ("4/0A", 70),
    ("x", "access"): ("VGNi", 88),
    ("x", "refresh"): ("bWRW", 88),
    ("x", "code"): ("", 90),
    ("x", "app"): ("AAAAAAAAAAAAAAAAAAAAA", 90),  # an app-only bearer token (client credentials)
    ("facebook", "fb_short"): ("EAAB", 150),
    ("facebook", "fb_long"): ("EAAB", 170),
    ("facebook", "fb_page"): ("EAAB", 180),
    ("facebook", "code"): ("AQ", 160),
    ("linkedin", "access"): ("AQV", 180),
    ("linkedin", "refresh"): ("AQX", 180),
    ("linkedin", "code"): ("AQT", 120),
}


class Window(deque[float]):
    """A sliding window's hit times, oldest first; ``ordered`` stays True while every hit came at or after
    the one before (False once the clock was moved back between two hits)."""

    ordered = True

    def append(self, t: float) -> None:
        if self and t < self[-1]:
            self.ordered = False
        super().append(t)


@dataclass
class SandboxState:
    cfg: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: Clock = field(default_factory=Clock)
    #: indexed dicts (``indexes.py``): a request finds its rows without scanning the world
    accounts: AccountStore = field(default_factory=AccountStore)
    tokens: TokenStore = field(default_factory=TokenStore)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    #: the media hosts' faults (``app/sandbox/media.py``), apart from the API faults
    media_faults: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    #: moves on at every reset and clear of the call log: a request begun before it is not logged after it
    #: (a client that timed out leaves a request the sandbox finishes later, into the next test's log)
    call_epoch: int = 0
    latency_ms: int = 0
    quota: dict[str, int] = field(default_factory=dict)
    windows: dict[str, Window] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    #: every comment and reply the platforms hold, by id (``comments.py``)
    comments: CommentStore = field(default_factory=CommentStore)
    #: post ids whose comments are turned off
    comments_off: set[str] = field(default_factory=set)
    #: Instagram webhooks (``ig_webhooks.py``): the apps' subscriptions by app id, each account's
    #: ``subscribed_apps`` (account id -> app id -> fields), the stories whose ``story_insights`` went out
    webhook_apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscribed_apps: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    stories_sent: set[str] = field(default_factory=set)
    #: X per-user 15-minute limits set through ``PUT /_sandbox/x/limits`` (over ``X_RATE_LIMITS``)
    x_limits: dict[str, int] = field(default_factory=dict)
    #: X batch compliance jobs by id (``x/compliance.py``) and what the control API set for the next ones
    x_compliance: dict[str, dict[str, Any]] = field(default_factory=dict)
    x_compliance_next: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- basics
    @classmethod
    def create(cls, cfg: dict[str, Any]) -> SandboxState:
        return cls(cfg=cfg, clock=initial_clock(cfg.get("TODAY")), latency_ms=int(cfg.get("LATENCY_MS", 0)))

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.now().date()

    def pacific_today(self) -> date:
        return pacific_date(self.now())

    def next(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def reset(self) -> None:
        with self.lock:
            self.clock = initial_clock(self.cfg.get("TODAY"))
            self.accounts.clear()
            self.tokens.clear()
            self.codes.clear()
            self.faults.clear()
            self.media_faults.clear()
            self.calls.clear()
            self.call_epoch += 1
            self.quota.clear()
            self.windows.clear()
            self.counters.clear()
            self.comments.clear()
            self.comments_off.clear()
            self.webhook_apps.clear()
            self.subscribed_apps.clear()
            self.stories_sent.clear()
            self.x_limits.clear()
            self.x_compliance.clear()
            self.x_compliance_next.clear()
            self.latency_ms = int(self.cfg.get("LATENCY_MS", 0))
            self.save()

    # ----------------------------------------------------------------- accounts
    def create_account(self, spec: dict[str, Any]) -> Account:
        prefix = {"instagram": "ig", "tiktok": "tt", "youtube": "yt", "x": "x", "facebook": "fb", "linkedin": "li"}[
            spec["platform"]
        ]
        acc_id = f"{prefix}_{self.next('account')}"
        acc = build_account(acc_id, spec, self.now(), int(self.cfg.get("SEED", 0)))
        for other in self.accounts.values():
            if other.platform_user_id == acc.platform_user_id:
                raise ValueError("an account with the same seed already exists on this platform; pass another seed")
        self.accounts[acc_id] = acc
        return acc

    def replicate_account(
        self, template: Account, username: str, taken: set[tuple[str, str]], held: list[Token] | None = None
    ) -> tuple[Account, dict[str, str], dict[str, str]]:
        """A replica of ``template`` (``Account.replicate``) named ``username``, with copies of the template's
        tokens in force (same kind, scopes, client, issue and expiry times; new values and grants).

        ``taken``: the ``(platform, id)`` pairs already in use (platform user ids, and LinkedIn's Page
        ids); the replica's are added. ``held``: the template's tokens, if the caller has them at hand (a
        search of every token otherwise: 60,000 at 30,000 accounts).

        Returns (replica, post ids renamed, ``{template token: replica's}``)."""
        world_seed = int(self.cfg.get("SEED", 0))
        for attempt in range(100):
            id_seed = h64(world_seed, "replica", template.platform, username, attempt) % 2**31
            acc_id = f"{template.id[: template.id.index('_')]}_{self.next('account')}"
            rep, posts = template.replicate(acc_id, username, id_seed, world_seed, self.now())
            names = {(rep.platform, rep.platform_user_id)}
            if rep.platform == "linkedin":
                names.add(("linkedin-org", rep.scoped_id))
            if not names & taken:
                break
        else:  # pragma: no cover - 100 collisions in a row
            raise ValueError(f"no free identity for a replica named {username!r}")
        taken |= names
        self.accounts[rep.id] = rep
        grants: dict[str, str] = {}
        tokens: dict[str, str] = {}
        if held is None:
            held = self.tokens.of_account(template.id)
        for tok in held:
            if tok.revoked or tok.superseded:
                continue
            grant = grants.setdefault(tok.grant_id, f"g{self.next('grant')}")
            copy = Token(
                self.make_secret(tok.platform, tok.kind),
                tok.platform,
                tok.kind,
                rep.id,
                tok.client_id,
                list(tok.scopes),
                tok.issued_at,
                tok.expires_at,
                grant,
            )
            self.tokens[copy.value] = copy
            tokens[tok.value] = copy.value
        if template.id in self.subscribed_apps:
            self.subscribed_apps[rep.id] = {k: list(v) for k, v in self.subscribed_apps[template.id].items()}
        return rep, posts, tokens

    def platform_accounts(self, platform: str, first: str | None = None) -> list[Account]:
        """The platform's accounts in creation order; ``first``: that account's id is put in front, so a
        search for what the caller's own account holds (ids are unique) stops at once however many
        accounts there are (30,000 in ``bench/sync.py --replicate-from``); the answer is the same."""
        return self.accounts.of_platform(platform, first)

    # ----------------------------------------------------------------- tokens and codes
    def make_secret(self, platform: str, kind: str) -> str:
        prefix, length = TOKEN_SHAPES[(platform, kind)]
        n = self.next("secret")
        body = b64chars(length, self.cfg.get("SEED", 0), "secret", platform, kind, n)
        if platform in ("instagram", "facebook") or kind == "code" and platform == "tiktok":
            body = body.replace("-", "Z").replace("_", "Y")
        return prefix + body

    def issue_token(
        self,
        platform: str,
        kind: str,
        account_id: str,
        client_id: str,
        scopes: list[str],
        ttl: float | None,
        grant_id: str,
    ) -> Token:
        now = self.now()
        tok = Token(
            self.make_secret(platform, kind),
            platform,
            kind,
            account_id,
            client_id,
            list(scopes),
            now,
            now + timedelta(seconds=ttl) if ttl is not None else None,
            grant_id,
        )
        self.tokens[tok.value] = tok
        return tok

    def issue_code(
        self,
        platform: str,
        account_id: str,
        client_id: str,
        redirect_uri: str,
        scopes: list[str],
        challenge: str | None,
        method: str | None,
        offline: bool = True,
    ) -> AuthCode:
        code = AuthCode(
            self.make_secret(platform, "code"),
            platform,
            account_id,
            client_id,
            redirect_uri,
            list(scopes),
            self.now(),
            challenge,
            method,
            offline,
            grant_id=f"g{self.next('grant')}",
        )
        self.codes[code.value] = code
        return code

    def token_status(self, token: Token | None) -> str:
        """ok | invalid | expired | revoked."""
        if token is None:
            return "invalid"
        if token.revoked:
            return "revoked"
        if token.superseded:
            return "invalid"
        if token.expires_at is not None and self.now() >= token.expires_at:
            return "expired"
        if token.kind == "app":
            return "ok"  # an app-only token belongs to the app, not to an account
        if token.account_id not in self.accounts:
            return "revoked"
        return "ok"

    def revoke_account(self, account_id: str) -> int:
        n = 0
        for tok in self.tokens.of_account(account_id):
            if not tok.revoked:
                tok.revoked = True
                n += 1
        return n

    def revoke_grant(self, grant_id: str) -> None:
        for tok in self.tokens.of_grant(grant_id):
            tok.revoked = True

    # ----------------------------------------------------------------- clients
    def client(self, platform: str, client_id: str | None) -> dict[str, Any] | None:
        for client in self.cfg["CLIENTS"].get(platform, []):
            if client_id and client["client_id"] == client_id:
                return dict(client)
        return None

    @staticmethod
    def redirect_allowed(client: dict[str, Any], uri: str | None) -> bool:
        if not uri:
            return False
        registered = client.get("redirect_uris") or []
        if registered:
            return uri in registered
        from urllib.parse import urlsplit

        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost") and not parts.fragment

    # ----------------------------------------------------------------- faults, calls, quotas, windows
    def take_fault(self, platform: str, path: str, consent: bool, query: str = "") -> dict[str, Any] | None:
        """The first live fault matching the call (``query``: the decoded query string, which a fault's
        ``query_contains`` must be in, e.g. ``breakdown=city``); one of its ``times`` is used."""
        for fault in self.faults:
            if fault["platform"] != platform or fault["times"] == 0:
                continue
            needle = fault.get("path_contains")
            if needle and needle not in path:
                continue
            if fault.get("query_contains") and fault["query_contains"] not in query:
                continue
            if consent and not needle:
                continue
            if fault.get("skip"):  # this matching call passes; a later one fails (mid-pagination)
                fault["skip"] -= 1
                continue
            if fault["times"] > 0:
                fault["times"] -= 1
            return dict(fault)
        return None

    def log_call(self, entry: dict[str, Any]) -> None:
        self.calls.append(entry)
        overflow = len(self.calls) - int(self.cfg.get("CALL_LOG_MAX", 20000))
        if overflow > 0:
            del self.calls[:overflow]

    def quota_key(self, client_id: str, bucket: str) -> str:
        return f"{client_id}|{bucket}|{self.pacific_today().isoformat()}"

    def quota_used(self, client_id: str, bucket: str) -> int:
        return self.quota.get(self.quota_key(client_id, bucket), 0)

    def charge(self, client_id: str, bucket: str, units: int) -> None:
        key = self.quota_key(client_id, bucket)
        self.quota[key] = self.quota.get(key, 0) + units

    def window_hit(self, key: str, seconds: float, limit: int | None = None) -> tuple[int, bool]:
        """Record a hit in a sliding window (simulated time). Returns (count incl. this one, allowed)."""
        now = self.now().timestamp()
        dq = self.windows.get(key)
        if dq is None:
            dq = self.windows[key] = Window()
        while dq and dq[0] <= now - seconds:
            dq.popleft()
        if limit is not None and len(dq) >= limit:
            return len(dq), False
        if dq and now < dq[-1]:  # the clock was set back: the window stays sorted (``window_count`` bisects)
            bisect.insort(dq, now)
        else:
            dq.append(now)
        return len(dq), True

    def window_count(self, key: str, seconds: float) -> int:
        """Hits in the last ``seconds``. A window whose hits are in time order (unless the clock was moved
        back) is counted by bisection: the Meta usage headers count the app's hourly window on every Graph
        answer, tens of thousands of hits in a benchmark's initial phase."""
        now = self.now().timestamp()
        dq = self.windows.get(key)
        if not dq:
            return 0
        if dq.ordered:
            return len(dq) - bisect_right(dq, now - seconds)
        return sum(1 for t in dq if t > now - seconds)

    def trace_id(self, kind: str) -> str:
        n = self.next("trace")
        if kind == "tiktok":
            return self.now().strftime("%Y%m%d%H%M%S") + hexchars(18, "log", n).upper()
        return b64chars(11, "fbtrace", n)

    # ----------------------------------------------------------------- persistence
    def save(self) -> None:
        path = self.cfg.get("STATE_FILE")
        if not path:
            return
        data = {
            "clock": self.clock.to_json(),
            "accounts": [a.to_json() for a in self.accounts.values()],
            "tokens": [t.to_json() for t in self.tokens.values()],
            "codes": [c.to_json() for c in self.codes.values()],
            "counters": self.counters,
            "comments": [c.to_json() for c in self.comments.values()],
            "comments_off": sorted(self.comments_off),
            "webhook_apps": self.webhook_apps,
            "subscribed_apps": self.subscribed_apps,
            "stories_sent": sorted(self.stories_sent),
        }
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sandbox-state-")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)

    def load(self) -> bool:
        path = self.cfg.get("STATE_FILE")
        if not path or not os.path.exists(path):
            return False
        with open(path) as fh:
            data = json.load(fh)
        self.clock = Clock.from_json(data["clock"])
        self.accounts = AccountStore({a["id"]: Account.from_json(a) for a in data["accounts"]})
        self.tokens = TokenStore({t["value"]: Token.from_json(t) for t in data["tokens"]})
        self.codes = {c["value"]: AuthCode.from_json(c) for c in data["codes"]}
        self.counters = {k: int(v) for k, v in data.get("counters", {}).items()}
        self.comments = CommentStore({c["id"]: Comment.from_json(c) for c in data.get("comments", [])})
        self.comments_off = set(data.get("comments_off", []))
        self.webhook_apps = dict(data.get("webhook_apps", {}))
        self.subscribed_apps = dict(data.get("subscribed_apps", {}))
        self.stories_sent = set(data.get("stories_sent", []))
        return True
