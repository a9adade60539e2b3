"""The deterministic world: accounts, follower trajectories, posts and how their metrics age.

Everything here is a pure function of (account seed, simulated date/time): the same seed and the same
clock always give the same numbers. World days are UTC calendar days. Nothing in this module locks;
the caller (``state.SandboxState``) serialises access.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from .audience import Story, audience_truth
from .util import b64chars, day_end, day_start, digits, h64, parse_datetime, rng, unit, utc

PLATFORMS = ("instagram", "tiktok", "youtube", "x", "facebook", "linkedin")
KINDS: dict[str, tuple[str, ...]] = {
    "instagram": ("image", "carousel", "reel"),
    "tiktok": ("video",),
    "youtube": ("video", "short"),
    "x": ("post",),
    "facebook": ("image", "video"),
    "linkedin": ("image", "video"),
}
DEFAULT_KIND = {
    "instagram": "image",
    "tiktok": "video",
    "youtube": "video",
    "x": "post",
    "facebook": "image",
    "linkedin": "image",
}
DEFAULT_CADENCE = {"instagram": 2.5, "tiktok": 1.6, "youtube": 7.0, "x": 1.0, "facebook": 2.0, "linkedin": 3.0}
#: LinkedIn account types: a member, or a member holding the ADMINISTRATOR role of a Company Page
LI_ACCOUNT_TYPES = ("MEMBER", "ADMINISTRATOR")
IG_ACCOUNT_TYPES = ("BUSINESS", "MEDIA_CREATOR", "PERSONAL")
#: a Facebook sandbox account is a Page, or a person who manages no Page (``me/accounts`` is empty)
FB_ACCOUNT_TYPES = ("PAGE", "PERSON")
TT_ACCOUNT_TYPES = ("PERSONAL", "BUSINESS")  # BUSINESS: readable through the API for Business
TRAJECTORIES = ("growth", "plateau", "spike", "decline", "stalled", "new")

# (platform, kind) -> (fast time constant in days, weight of the slow tail, tail time constant in days)
CURVES: dict[tuple[str, str], tuple[float, float, float]] = {
    ("instagram", "image"): (0.6, 0.05, 20.0),
    ("instagram", "carousel"): (0.8, 0.07, 25.0),
    ("instagram", "reel"): (1.5, 0.15, 45.0),
    ("tiktok", "video"): (1.2, 0.12, 40.0),
    ("youtube", "video"): (3.0, 0.35, 240.0),
    ("youtube", "short"): (1.5, 0.2, 90.0),
    ("x", "post"): (0.3, 0.03, 10.0),  # a post lives for hours on the timeline
    ("facebook", "image"): (0.5, 0.05, 15.0),
    ("facebook", "video"): (1.0, 0.1, 30.0),
    ("linkedin", "image"): (0.9, 0.08, 14.0),
    ("linkedin", "video"): (1.2, 0.1, 21.0),
}
METRICS = (
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "reposts",
    "follows",
    "profile_visits",
    "bio_link_clicks",
    "watch_ms",
    "engaged_views",
    "minutes",
)

WORDS = (
    "morning routine",
    "behind the scenes",
    "studio day",
    "quick tip",
    "new drop",
    "q&a",
    "travel diary",
    "weekly recap",
    "tutorial",
    "collab",
    "day in my life",
    "challenge",
    "unboxing",
    "honest review",
    "favourite tools",
    "before and after",
    "story time",
    "workout",
    "recipe",
    "live set",
)


def growth_fraction(platform: str, kind: str, age_days: float) -> float:
    """Share of a post's lifetime metrics reached ``age_days`` after publishing (0..1, saturating)."""
    if age_days <= 0:
        return 0.0
    tau, tail, tail_tau = CURVES.get((platform, kind), (1.0, 0.1, 30.0))
    return (1 - tail) * (1 - math.exp(-age_days / tau)) + tail * (1 - math.exp(-age_days / tail_tau))


@dataclass
class Post:
    id: str
    platform: str
    kind: str
    published_at: datetime
    caption: str
    final: dict[str, float]
    duration: int = 0
    avg_view_pct: float = 0.0
    skip_rate: float = 0.0
    explicit: bool = False
    #: ``fraction`` by moment: a series asks for every metric at the same day boundaries (two ``exp`` each)
    _fractions: dict[datetime, float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def fraction(self, at: datetime) -> float:
        known = self._fractions.get(at)
        if known is not None:
            return known
        age = (at - self.published_at).total_seconds() / 86400
        value = growth_fraction(self.platform, self.kind, age)
        if len(self._fractions) >= 512:
            self._fractions.clear()
        self._fractions[at] = value
        return value

    def count(self, metric: str, at: datetime) -> int:
        if at < self.published_at:
            return 0
        return int(round(self.final.get(metric, 0.0) * self.fraction(at)))

    def counts(self, at: datetime) -> dict[str, int]:
        return {m: self.count(m, at) for m in METRICS}

    @property
    def shortcode(self) -> str:
        return b64chars(11, "shortcode", self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "kind": self.kind,
            "published_at": self.published_at.isoformat(),
            "caption": self.caption,
            "final": self.final,
            "duration": self.duration,
            "avg_view_pct": self.avg_view_pct,
            "skip_rate": self.skip_rate,
            "explicit": self.explicit,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Post:
        return cls(
            id=data["id"],
            platform=data["platform"],
            kind=data["kind"],
            published_at=parse_datetime(data["published_at"]),
            caption=data["caption"],
            final={k: float(v) for k, v in data["final"].items()},
            duration=int(data["duration"]),
            avg_view_pct=float(data["avg_view_pct"]),
            skip_rate=float(data["skip_rate"]),
            explicit=bool(data["explicit"]),
        )


def _derived(
    platform: str, kind: str, base: dict[str, float], post_seed: object, duration: int, avg_pct: float
) -> dict[str, float]:
    """Fill the secondary metrics of a post from views/likes/comments/shares/saves."""
    r = rng(post_seed, "derived")
    views = base["views"]
    out = dict(base)
    out.setdefault("reach", views * r.uniform(0.55, 0.8))
    out.setdefault("reposts", base.get("shares", 0) * r.uniform(0.05, 0.2))
    out.setdefault("follows", views * r.uniform(0.0005, 0.003) if kind in ("image", "carousel") else 0.0)
    out.setdefault("profile_visits", views * r.uniform(0.004, 0.015))
    out.setdefault("bio_link_clicks", out["profile_visits"] * r.uniform(0.02, 0.08))
    out["watch_ms"] = views * duration * 1000 * avg_pct
    out["minutes"] = views * duration * avg_pct / 60
    out["engaged_views"] = views * (r.uniform(0.55, 0.75) if kind == "short" else r.uniform(0.8, 0.92))
    return out


def _post_metrics(
    platform: str, kind: str, audience: int, mult: float, post_seed: object
) -> tuple[dict[str, float], int, float, float]:
    r = rng(post_seed, "metrics")
    aud = max(audience, 40)
    if platform == "instagram":
        reach = aud * r.uniform(0.15, 0.45) * r.lognormvariate(0, 0.35)
        if kind == "reel":
            reach *= r.uniform(1.5, 4.0)
        views = reach * r.uniform(1.25, 1.8) * mult
        likes = views * r.uniform(0.03, 0.07)
        base = {
            "views": views,
            "reach": views / r.uniform(1.25, 1.8),
            "likes": likes,
            "comments": likes * r.uniform(0.01, 0.05),
            "saves": likes * r.uniform(0.03, 0.12),
            "shares": likes * r.uniform(0.02, 0.1),
        }
        duration = r.randint(7, 90) if kind == "reel" else 0
        pct = r.uniform(0.35, 0.8) if kind == "reel" else 0.0
    elif platform == "facebook":
        reach = aud * r.uniform(0.05, 0.25) * r.lognormvariate(0, 0.4) + 20
        views = reach * r.uniform(1.2, 1.6) * mult
        likes = views * r.uniform(0.02, 0.06)
        base = {
            "views": views,
            "reach": views / r.uniform(1.2, 1.6),
            "likes": likes,
            "comments": likes * r.uniform(0.03, 0.12),
            "shares": likes * r.uniform(0.05, 0.2),
            "saves": 0.0,
        }
        duration = r.randint(15, 240) if kind == "video" else 0
        pct = r.uniform(0.2, 0.6) if kind == "video" else 0.0
    elif platform == "tiktok":
        views = max(aud * r.uniform(0.2, 1.5) * r.lognormvariate(0, 0.6), 80) * mult
        likes = views * r.uniform(0.04, 0.1)
        base = {
            "views": views,
            "likes": likes,
            "comments": likes * r.uniform(0.005, 0.03),
            "shares": likes * r.uniform(0.01, 0.05),
            "saves": likes * r.uniform(0.02, 0.08),
        }
        duration = r.randint(9, 180)
        pct = r.uniform(0.3, 0.85)
    elif platform == "x":
        views = max(aud * r.uniform(0.1, 0.9) * r.lognormvariate(0, 0.7), 20) * mult
        likes = views * r.uniform(0.005, 0.03)
        base = {
            "views": views,  # impression_count
            "likes": likes,
            "comments": likes * r.uniform(0.05, 0.2),  # reply_count
            "shares": likes * r.uniform(0.1, 0.3),  # retweet_count
            "saves": likes * r.uniform(0.02, 0.1),  # bookmark_count
            "reposts": likes * r.uniform(0.01, 0.05),  # quote_count
        }
        duration, pct = 0, 0.0
    elif platform == "linkedin":
        views = max(aud * r.uniform(0.3, 1.6) * r.lognormvariate(0, 0.5), 40) * mult
        likes = views * r.uniform(0.01, 0.04)
        base = {
            "views": views,
            "reach": views * r.uniform(0.6, 0.85),
            "likes": likes,
            "comments": likes * r.uniform(0.05, 0.2),
            "shares": likes * r.uniform(0.02, 0.08),
            "saves": 0.0,
        }
        duration = r.randint(20, 180) if kind == "video" else 0
        pct = r.uniform(0.3, 0.7) if kind == "video" else 0.0
    else:
        if kind == "short":
            views = aud * r.uniform(0.1, 1.2) * r.lognormvariate(0, 0.6)
            duration = r.randint(12, 59)
            pct = r.uniform(0.7, 0.98)
        else:
            views = aud * r.uniform(0.03, 0.2) * r.lognormvariate(0, 0.5)
            duration = r.randint(240, 1500)
            pct = r.uniform(0.3, 0.55)
        views = max(views, 30) * mult
        likes = views * r.uniform(0.02, 0.05)
        base = {
            "views": views,
            "likes": likes,
            "comments": likes * r.uniform(0.02, 0.08),
            "shares": likes * r.uniform(0.01, 0.04),
            "saves": 0.0,
        }
    skip = r.uniform(0.15, 0.45) if kind in ("reel", "short", "video") else 0.0
    return _derived(platform, kind, base, post_seed, duration, pct), duration, pct, skip


def caption_for(seed: object, key: object, platform: str) -> str:
    r = rng(seed, "caption", key)
    topic = r.choice(WORDS)
    tags = " ".join("#" + r.choice(WORDS).replace(" ", "").replace("&", "") for _ in range(r.randint(0, 3)))
    text = f"{topic.capitalize()} #{r.randint(1, 400)}"
    limit = {"tiktok": 150, "x": 280}.get(platform, 2200)
    return (text + (" " + tags if tags else ""))[:limit]


BOOST_DAYS = 28
BOOST_SHARE = 0.12


def make_daily_changes(  # noqa: C901
    kind: str, followers: int, days: int = 365, seed: int = 0, boost_days_ago: int | None = None
) -> list[int]:
    """A plausible list of daily net follower changes (oldest first) ending at ``followers`` today.

    ``boost_days_ago``: the 28 days after that day (days ago, today being 0) gain an extra
    ``BOOST_SHARE`` of ``followers`` spread evenly (the demo's "after a deliverable" lift).

    ``kind``: growth (steady, slightly accelerating), plateau (growth then flat), spike (a viral day
    about 60 days ago), decline (growth then a slow loss), stalled (growth then near zero), new (fast growth
    from almost nothing).
    """
    if kind not in TRAJECTORIES:
        raise ValueError(f"unknown trajectory {kind!r}; one of {', '.join(TRAJECTORIES)}")
    days = max(int(days), 1)
    r = rng(seed, "trajectory", kind, followers, days)
    gain_share = {
        "growth": 0.45,
        "plateau": 0.35,
        "spike": 0.5,
        "decline": 0.3,
        "stalled": 0.25,
        "new": 0.97,
    }[kind]
    rates: list[float] = []
    for i in range(days):
        x = i / days
        if kind == "growth":
            w = 0.7 + 0.6 * x
        elif kind == "plateau":
            w = 1.0 if x < 0.7 else 0.02
        elif kind == "spike":
            w = 0.4
        elif kind == "decline":
            w = 1.0 if x < 0.6 else -0.55
        elif kind == "stalled":
            w = 1.0 if x < 0.5 else 0.01
        else:
            w = 0.3 + 2.0 * x
        weekly = 1.0 + 0.12 * math.sin(2 * math.pi * (i % 7) / 7)
        rates.append(w * weekly * r.uniform(0.55, 1.45))
    total_gain = followers * gain_share
    positive = sum(rt for rt in rates if rt > 0) or 1.0
    scale = total_gain / positive
    if kind == "spike":
        spike_day = max(days - 60, 0)
        spike = followers * 0.3
        for j, share in enumerate((0.55, 0.3, 0.15)):
            if spike_day + j < days:
                rates[spike_day + j] += spike * share / max(scale, 1e-9)
    out: list[int] = []
    carry = 0.0
    for rt in rates:
        v = rt * scale + carry
        iv = int(round(v))
        carry = v - iv
        out.append(iv)
    if boost_days_ago is not None and 0 < boost_days_ago < days:
        first = days - boost_days_ago  # the day after the boost day (index days - 1 is today)
        extra = max(1, round(followers * BOOST_SHARE / BOOST_DAYS))
        for i in range(first, min(first + BOOST_DAYS, days)):
            out[i] += extra
    if kind in ("plateau", "stalled"):
        # jitter around zero on the flat part, still summing to ~0
        flat_from = int(days * (0.7 if kind == "plateau" else 0.5))
        for i in range(flat_from, days):
            out[i] += r.choice((-2, -1, 0, 0, 1, 2)) if followers > 500 else 0
    base = followers - sum(out)
    if base < 0:
        # trim the earliest gains so the start count stays >= 0
        excess = -base
        for i in range(days):
            take = min(max(out[i], 0), excess)
            out[i] -= take
            excess -= take
            if not excess:
                break
    return out


@dataclass
class Account:
    id: str
    platform: str
    username: str
    display_name: str
    seed: int
    account_type: str
    platform_user_id: str
    scoped_id: str
    start: date
    base: int
    changes: list[int]
    anchor: date
    trend: float
    typical: float
    following: int
    post_every_days: float
    shorts_every_days: float
    posting_paused_days: int
    auto_posts: bool
    created_at: datetime
    bio: str = ""
    verified: bool = False
    #: X only: a protected account's posts are hidden from others; a suspended one answers nothing
    protected: bool = False
    suspended: bool = False
    explicit_posts: list[Post] = field(default_factory=list)
    #: posts the creator deleted (control API): gone from every listing and lookup, as at the platform
    deleted_posts: set[str] = field(default_factory=set)
    version: int = 0
    #: Facebook: the name of the person who manages the Page (Pages with one owner share a login)
    owner: str = ""
    #: the control API's replacements of the default audience truth (``audience.py``)
    audience_override: dict[str, Any] = field(default_factory=dict)
    #: Instagram stories, live for 24 h after publishing (``audience.py``)
    stories: list[Story] = field(default_factory=list)
    #: LinkedIn: the Company Pages this member has a role on (``linkedin/orgs.py``); None: the default
    organizations: list[dict[str, Any]] | None = None
    #: a replica's own seed for what names it (ids, not numbers): ``None`` for an account made from a spec,
    #: whose ids and numbers share ``seed`` (``replicate``)
    id_seed: int | None = None
    _cum: list[int] = field(default_factory=list, repr=False)
    _gen: list[Post] = field(default_factory=list, repr=False)
    _gen_until: date | None = field(default=None, repr=False)
    _daily_cache: dict[tuple[str, date, int], int] = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------------- followers
    def _rebuild_cum(self) -> None:
        self._cum = []
        total = self.base
        for c in self.changes:
            total += c
            self._cum.append(total)

    def ensure(self, d: date) -> None:
        """Materialise follower changes up to ``d`` (future days continue the recent trend)."""
        if len(self._cum) != len(self.changes):
            self._rebuild_cum()
        while self.start + timedelta(days=len(self.changes)) <= d:
            x = self.start + timedelta(days=len(self.changes))
            current = self._cum[-1] if self._cum else self.base
            noise = unit(self.seed, "fc", x) * 2 - 1
            value = self.trend * (1 + 0.45 * noise)
            iv = math.floor(value + unit(self.seed, "fr", x))
            if current + iv < 0:
                iv = -current
            self.changes.append(iv)
            self._cum.append(current + iv)

    def followers_on(self, d: date) -> int:
        """Followers at the end of world day ``d``."""
        if d < self.start:
            return self.base
        self.ensure(d)
        if len(self._cum) != len(self.changes):
            self._rebuild_cum()
        return self._cum[(d - self.start).days]

    def change_on(self, d: date) -> int:
        if d < self.start:
            return 0
        self.ensure(d)
        return self.changes[(d - self.start).days]

    def gained_lost(self, d: date) -> tuple[int, int]:
        """(new followers, lost followers) on day ``d``; gained - lost == the net change."""
        if d < self.start:
            return 0, 0
        net = self.change_on(d)
        prev = self.followers_on(d - timedelta(days=1))
        lost = int(round(prev * (0.0004 + 0.0016 * unit(self.seed, "lost", d))))
        lost = max(lost, -net if net < 0 else 0)
        return net + lost, lost

    def set_followers_today(self, today: date, followers: int) -> None:
        current = self.followers_on(today)
        idx = (today - self.start).days
        if idx < 0:
            self.base += followers - current
        else:
            self.changes[idx] += followers - current
            # keep future days (already materialised) continuing from the new level
        self._rebuild_cum()
        self.version += 1

    # ----------------------------------------------------------------- posts
    def _generate_posts(self, until: date) -> None:
        if not self.auto_posts:
            return
        first = self.start if self._gen_until is None else self._gen_until + timedelta(days=1)
        x = first
        pause_from = (
            self.anchor - timedelta(days=self.posting_paused_days - 1) if self.posting_paused_days > 0 else None
        )
        while x <= until:
            if pause_from is None or x < pause_from:
                slots = [(DEFAULT_KIND[self.platform], self.post_every_days)]
                if self.platform == "youtube":
                    slots = [("video", self.post_every_days), ("short", self.shorts_every_days)]
                for slot, every in slots:
                    if every > 0 and unit(self.seed, "post", slot, x) < 1.0 / every:
                        self._gen.append(self._make_generated(x, slot))
            x += timedelta(days=1)
        self._gen_until = until if self._gen_until is None or until > self._gen_until else self._gen_until
        self._gen.sort(key=lambda p: (p.published_at, p.id))

    def _make_generated(self, x: date, slot: str) -> Post:
        kind = slot
        if self.platform == "instagram":
            u = unit(self.seed, "kind", x)
            kind = "reel" if u < 0.45 else ("image" if u < 0.75 else "carousel")
        elif self.platform == "facebook":
            kind = "video" if unit(self.seed, "kind", x) < 0.3 else "image"
        hour = 7 + int(unit(self.seed, "hour", x, slot) * 15)
        minute = int(unit(self.seed, "minute", x, slot) * 60)
        published = day_start(x) + timedelta(hours=hour, minutes=minute)
        pid = self.new_post_id(("gen", x, slot), published)
        audience = self.followers_on(x - timedelta(days=1))
        spike = max(self.change_on(x), self.change_on(x + timedelta(days=1)))
        mult = 1.0
        if spike > max(30.0, 6 * self.typical):
            mult = min(60.0, spike / (2 * self.typical + 1))
        final, duration, pct, skip = _post_metrics(self.platform, kind, audience, mult, (self.seed, pid))
        return Post(
            pid,
            self.platform,
            kind,
            published,
            caption_for(self.seed, (x, slot), self.platform),
            final,
            duration,
            pct,
            skip,
        )

    @property
    def ident_seed(self) -> int:
        """The seed of the ids this account hands out (``seed`` unless it is a replica)."""
        return self.seed if self.id_seed is None else self.id_seed

    def new_post_id(self, key: object, at: datetime | None = None) -> str:
        seed = self.ident_seed
        if self.platform == "instagram":
            return "179" + digits(14, seed, "pid", key)
        if self.platform == "tiktok":
            return "73" + digits(17, seed, "pid", key)
        if self.platform == "x":  # a snowflake: time-ordered, so since_id and paging work as on X
            ms = int(at.timestamp() * 1000) if at is not None else 1_700_000_000_000
            return str(((ms - 1_288_834_974_657) << 22) | (h64(seed, "pid", key) & 0x3FFFFF))
        if self.platform == "facebook":  # Page post ids are ``{page-id}_{post-id}``
            return f"{self.platform_user_id}_" + digits(15, seed, "pid", key)
        if self.platform == "linkedin":
            return "urn:li:share:71" + digits(17, seed, "pid", key)
        return b64chars(11, seed, "pid", key)

    def replicate(
        self, acc_id: str, username: str, id_seed: int, world_seed: int, now: datetime
    ) -> tuple[Account, dict[str, str]]:
        """A copy of this account under another identity, for benchmarks that need many accounts in a known
        state without connecting each: the same follower history, posts, their numbers and how they age,
        audience and stories, but its own ids (``platform_user_id``, ``scoped_id``, every post and story id,
        from ``id_seed``). Returns the replica and ``{this account's post id: the replica's}``, so a copy of
        what an app stored about this account can be renamed to the replica's. Comments are not copied.

        Posts after today (``now``) are the replica's own (their numbers follow from its post ids)."""
        self._generate_posts(utc(now).date())  # what the replica copies, not what it would make up itself
        puid, scoped = identity(self.platform, id_seed, world_seed, username)
        rep = Account(
            id=acc_id,
            platform=self.platform,
            username=username,
            display_name=username.replace("_", " ").replace(".", " ").title(),
            seed=self.seed,
            account_type=self.account_type,
            platform_user_id=puid,
            scoped_id=scoped,
            start=self.start,
            base=self.base,
            changes=list(self.changes),
            anchor=self.anchor,
            trend=self.trend,
            typical=self.typical,
            following=self.following,
            post_every_days=self.post_every_days,
            shorts_every_days=self.shorts_every_days,
            posting_paused_days=self.posting_paused_days,
            auto_posts=self.auto_posts,
            created_at=self.created_at,
            bio=self.bio,
            verified=self.verified,
            protected=self.protected,
            suspended=self.suspended,
            version=self.version,
            owner=username if self.platform == "facebook" else self.owner,
            audience_override=copy.deepcopy(self.audience_override),
            organizations=copy.deepcopy(self.organizations),
            id_seed=id_seed,
        )
        names: dict[str, str] = {}

        def renamed(post: Post) -> Post:
            names[post.id] = rep.new_post_id(("replica", post.id), post.published_at)
            return replace(post, id=names[post.id])  # ``final`` is never changed in place: shared

        rep._gen = [renamed(p) for p in self._gen]
        rep._gen_until = self._gen_until
        rep.explicit_posts = [renamed(p) for p in self.explicit_posts]
        rep.deleted_posts = {names.get(p, p) for p in self.deleted_posts}
        rep.stories = [replace(s, id="179" + digits(14, id_seed, "story", s.id)) for s in self.stories]
        rep._rebuild_cum()
        return rep, names

    def add_explicit_post(self, spec: dict[str, Any], now: datetime) -> Post:
        """Add a post whose counts (``view_count``...) are its truth at ``now``; it keeps aging after."""
        published = parse_datetime(str(spec["published_at"]))
        kind = str(spec.get("kind") or spec.get("media_type") or DEFAULT_KIND[self.platform]).lower()
        if kind not in KINDS[self.platform]:
            raise ValueError(f"kind must be one of {', '.join(KINDS[self.platform])} for {self.platform}")
        pid = str(spec.get("id") or self.new_post_id(("explicit", len(self.explicit_posts), published), published))
        r = rng(self.seed, "explicit", pid)
        age = (now - published).total_seconds() / 86400
        frac = growth_fraction(self.platform, kind, max(age, 1 / 24)) if published <= now else 1.0
        given = {
            "views": spec.get("view_count"),
            "likes": spec.get("like_count"),
            "comments": spec.get("comment_count"),
            "shares": spec.get("share_count"),
            "saves": spec.get("save_count"),
            "reach": spec.get("reach"),
        }
        for key, value in given.items():
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{key} count must be a non-negative integer")
        likes = given["likes"] if given["likes"] is not None else 0
        views = given["views"] if given["views"] is not None else max(likes * 20, 0)
        base = {
            "views": views / frac,
            "likes": likes / frac,
            "comments": (given["comments"] or 0) / frac,
            "shares": (given["shares"] or 0) / frac,
            "saves": (given["saves"] or 0) / frac,
        }
        if given["reach"] is not None:
            base["reach"] = given["reach"] / frac
        default_duration = {"video": 420 if self.platform == "youtube" else 30, "short": 40, "reel": 25}
        duration = int(spec.get("duration") or default_duration.get(kind, 0))
        pct = r.uniform(0.3, 0.8) if duration else 0.0
        final = _derived(self.platform, kind, base, (self.seed, pid), duration, pct)
        caption = str(spec.get("caption") or spec.get("title") or "")
        post = Post(
            pid,
            self.platform,
            kind,
            published,
            caption,
            final,
            duration,
            pct,
            r.uniform(0.15, 0.45) if duration else 0.0,
            explicit=True,
        )
        self.explicit_posts.append(post)
        self.version += 1
        self._daily_cache.clear()
        return post

    def delete_post(self, post_id: str, now: datetime) -> bool:
        """The creator deletes a post: gone from listings, lookups and the daily sums from now on."""
        if self.find_post(post_id, now) is None:
            return False
        self.deleted_posts.add(post_id)
        self.version += 1
        self._daily_cache.clear()
        return True

    def all_posts_until(self, d: date) -> list[Post]:
        """Every post published on or before day ``d`` (oldest first)."""
        self._generate_posts(d)
        end = day_end(d)
        posts = [p for p in self._gen if p.published_at < end] + [
            p for p in self.explicit_posts if p.published_at < end
        ]
        if self.deleted_posts:
            posts = [p for p in posts if p.id not in self.deleted_posts]
        posts.sort(key=lambda p: (p.published_at, p.id))
        return posts

    def posts_at(self, now: datetime) -> list[Post]:
        """Published posts visible at ``now``, newest first."""
        posts = [p for p in self.all_posts_until(utc(now).date()) if p.published_at <= now]
        posts.reverse()
        return posts

    def post_ever(self, post_id: str, now: datetime) -> Post | None:
        """The post with ``post_id`` published by ``now``, deleted or not (X's compliance results name
        a deleted post's creation date)."""
        self._generate_posts(utc(now).date())
        for p in [*self._gen, *self.explicit_posts]:
            if p.id == post_id and p.published_at <= now:
                return p
        return None

    def find_post(self, post_id: str, now: datetime) -> Post | None:
        for p in self.posts_at(now):
            if p.id == post_id:
                return p
        return None

    def daily(self, metric: str, d: date) -> int:
        """Increase of ``metric`` summed over all posts during day ``d`` (telescopes to the totals)."""
        key = (metric, d, self.version)
        cached = self._daily_cache.get(key)
        if cached is not None:
            return cached
        start, end = day_start(d), day_end(d)
        total = 0
        for p in self.all_posts_until(d):
            total += p.count(metric, end) - p.count(metric, start)
        if len(self._daily_cache) > 200_000:
            self._daily_cache.clear()
        self._daily_cache[key] = total
        return total

    def daily_for(self, metric: str, d: date, kinds: tuple[str, ...]) -> int:
        start, end = day_start(d), day_end(d)
        return sum(p.count(metric, end) - p.count(metric, start) for p in self.all_posts_until(d) if p.kind in kinds)

    # ----------------------------------------------------------------- serialisation
    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "username": self.username,
            "display_name": self.display_name,
            "seed": self.seed,
            "account_type": self.account_type,
            "platform_user_id": self.platform_user_id,
            "scoped_id": self.scoped_id,
            "start": self.start.isoformat(),
            "base": self.base,
            "changes": self.changes,
            "anchor": self.anchor.isoformat(),
            "trend": self.trend,
            "typical": self.typical,
            "following": self.following,
            "post_every_days": self.post_every_days,
            "shorts_every_days": self.shorts_every_days,
            "posting_paused_days": self.posting_paused_days,
            "auto_posts": self.auto_posts,
            "created_at": self.created_at.isoformat(),
            "bio": self.bio,
            "verified": self.verified,
            "protected": self.protected,
            "suspended": self.suspended,
            "explicit_posts": [p.to_json() for p in self.explicit_posts],
            "deleted_posts": sorted(self.deleted_posts),
            "version": self.version,
            "owner": self.owner,
            "audience_override": self.audience_override,
            "stories": [s.to_json() for s in self.stories],
            "organizations": self.organizations,
            "id_seed": self.id_seed,
        }

    def audience(self) -> dict[str, Any]:
        """The audience this platform reports (the seed's default with the control API's changes)."""
        return audience_truth(self.platform, self.seed, self.audience_override)

    def live_stories(self, now: datetime) -> list[Story]:
        return sorted((s for s in self.stories if s.live(now)), key=lambda s: s.published_at, reverse=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        acc = cls(
            id=data["id"],
            platform=data["platform"],
            username=data["username"],
            display_name=data["display_name"],
            seed=int(data["seed"]),
            account_type=data["account_type"],
            platform_user_id=data["platform_user_id"],
            scoped_id=data["scoped_id"],
            start=date.fromisoformat(data["start"]),
            base=int(data["base"]),
            changes=[int(c) for c in data["changes"]],
            anchor=date.fromisoformat(data["anchor"]),
            trend=float(data["trend"]),
            typical=float(data["typical"]),
            following=int(data["following"]),
            post_every_days=float(data["post_every_days"]),
            shorts_every_days=float(data["shorts_every_days"]),
            posting_paused_days=int(data["posting_paused_days"]),
            auto_posts=bool(data["auto_posts"]),
            created_at=parse_datetime(data["created_at"]),
            bio=data.get("bio", ""),
            verified=bool(data.get("verified", False)),
            protected=bool(data.get("protected", False)),
            suspended=bool(data.get("suspended", False)),
            explicit_posts=[Post.from_json(p) for p in data.get("explicit_posts", [])],
            deleted_posts={str(p) for p in data.get("deleted_posts", [])},
            version=int(data.get("version", 0)),
            owner=str(data.get("owner", "")),
            audience_override=dict(data.get("audience_override", {})),
            stories=[Story.from_json(s) for s in data.get("stories", [])],
            organizations=data.get("organizations"),
            id_seed=int(data["id_seed"]) if data.get("id_seed") is not None else None,
        )
        acc._rebuild_cum()
        return acc


def identity(platform: str, seed: int, world_seed: int, owner: str) -> tuple[str, str]:
    """(platform_user_id, scoped_id) of an account whose ids come from ``seed``; ``owner``: the name of the
    person who manages a Facebook Page (their user id is ``scoped_id``)."""
    if platform == "instagram":
        puid = "1784140" + digits(10, seed, "igid")
        scoped = "2" + digits(15, seed, "igasid")
    elif platform == "facebook":
        # the Page id; ``scoped_id`` holds the id of the Facebook user who manages it (``owner``)
        puid = "61" + digits(13, seed, "fbpage")
        scoped = "100" + digits(12, world_seed, "fbuser", owner)
    elif platform == "tiktok":
        puid = "-000" + b64chars(36, seed, "openid")
        scoped = hex(h64(seed, "union"))[2:] + hex(h64(seed, "union2"))[2:]
    elif platform == "x":
        puid = "1" + digits(18, seed, "xid")  # X user ids are global numeric strings
        scoped = puid
    elif platform == "linkedin":
        puid = b64chars(10, seed, "member")  # the OIDC ``sub``: app-scoped (urn:li:person:{sub})
        scoped = "10" + digits(6, seed, "organization")  # the Company Page an ADMINISTRATOR administers
    else:
        puid = "UC" + b64chars(22, seed, "channel")
        scoped = "UU" + puid[2:]
    return puid, scoped


def build_account(acc_id: str, spec: dict[str, Any], now: datetime, world_seed: int) -> Account:
    """Create an account from a validated control-API spec (see ``control.validate_account_spec``)."""
    platform = spec["platform"]
    username = spec["username"]
    followers = spec["followers"]
    seed = spec.get("seed")
    if seed is None:
        seed = h64(world_seed, platform, username) % 2**31
    today = utc(now).date()
    changes = spec.get("daily_changes")
    if changes is None:
        changes = make_daily_changes(spec.get("trajectory", "growth"), followers, spec.get("history_days", 365), seed)
    changes = [int(c) for c in changes] or [0]
    base = followers - sum(changes)
    if base < 0:
        raise ValueError("daily_changes sum to more than followers: the starting count would be negative")
    start = today - timedelta(days=len(changes) - 1)
    recent = changes[-28:]
    trend = sum(recent) / len(recent)
    abs_sorted = sorted(abs(c) for c in changes)
    typical = float(abs_sorted[len(abs_sorted) // 2]) or 1.0
    puid, scoped = identity(platform, seed, world_seed, spec.get("owner") or username)
    auto_posts = spec.get("posts") is None
    acc = Account(
        id=acc_id,
        platform=platform,
        username=username,
        display_name=spec.get("display_name") or username.replace("_", " ").replace(".", " ").title(),
        seed=int(seed),
        account_type=spec.get("account_type")
        or {"instagram": "MEDIA_CREATOR", "facebook": "PAGE", "linkedin": "MEMBER"}.get(platform, ""),
        platform_user_id=puid,
        scoped_id=scoped,
        start=start,
        base=base,
        changes=changes,
        anchor=today,
        trend=trend,
        typical=typical,
        following=int(spec.get("following", 100 + h64(seed, "fol") % 900)),
        post_every_days=float(spec.get("post_every_days", DEFAULT_CADENCE[platform])),
        shorts_every_days=float(spec.get("shorts_every_days", 4.0 if platform == "youtube" else 0)),
        posting_paused_days=int(spec.get("posting_paused_days", 0)),
        auto_posts=auto_posts,
        created_at=now,
        bio=spec.get("bio", f"Creator sandbox account @{username}"),
        owner=str(spec.get("owner") or (username if platform == "facebook" else "")),
        verified=bool(spec.get("verified", False)),
    )
    acc._rebuild_cum()
    for p in spec.get("posts") or []:
        acc.add_explicit_post(p, now)
    return acc
