"""The control API under /_sandbox/ (architecture.md section 6.3, extended)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request

from .audience import validate_audience
from .common import control_error, json_response, state
from .events import deliveries as change_deliveries
from .events import send_signed
from .util import iso_z, parse_datetime
from .world import (
    FB_ACCOUNT_TYPES,
    IG_ACCOUNT_TYPES,
    KINDS,
    LI_ACCOUNT_TYPES,
    PLATFORMS,
    TRAJECTORIES,
    TT_ACCOUNT_TYPES,
    Account,
)

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

FAULT_KINDS = (
    "rate_limited",
    "server_error",
    "timeout",
    "token_expired",
    "token_revoked",
    "quota_exceeded",
    "malformed",
)
ACCOUNT_KEYS = {
    "platform",
    "username",
    "followers",
    "daily_changes",
    "posts",
    "seed",
    "account_type",
    "trajectory",
    "history_days",
    "display_name",
    "following",
    "post_every_days",
    "shorts_every_days",
    "posting_paused_days",
    "bio",
    "verified",
    "owner",
}
POST_KEYS = {
    "published_at",
    "caption",
    "title",
    "like_count",
    "comment_count",
    "share_count",
    "save_count",
    "view_count",
    "reach",
    "kind",
    "media_type",
    "duration",
    "id",
}


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@bp.errorhandler(BadRequest)
def _bad_request(err: BadRequest) -> Response:
    return control_error(400, err.code, err.message)


def body() -> dict[str, Any]:
    data = request.get_json(silent=True, force=True)
    if data is None:
        raise BadRequest("the request body must be valid JSON", "bad_json")
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object", "bad_json")
    return data


def _int(data: dict[str, Any], key: str, minimum: int | None = None, maximum: int | None = None) -> int:
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{key} must be an integer")
    if minimum is not None and value < minimum:
        raise BadRequest(f"{key} must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{key} must be <= {maximum}")
    return value


def _number(data: dict[str, Any], key: str, minimum: float = 0) -> float:
    value = data[key]
    if not isinstance(value, int | float) or isinstance(value, bool) or value < minimum:
        raise BadRequest(f"{key} must be a number >= {minimum}")
    return float(value)


def validate_posts(posts: Any, platform: str) -> list[dict[str, Any]]:
    if not isinstance(posts, list):
        raise BadRequest("posts must be a list of objects")
    out = []
    for i, post in enumerate(posts):
        if not isinstance(post, dict):
            raise BadRequest(f"posts[{i}] must be an object")
        unknown = set(post) - POST_KEYS
        if unknown:
            raise BadRequest(f"posts[{i}] has unknown keys: {', '.join(sorted(unknown))}")
        if "published_at" not in post:
            raise BadRequest(f"posts[{i}].published_at is required")
        try:
            parse_datetime(str(post["published_at"]))
        except ValueError as exc:
            raise BadRequest(f"posts[{i}].published_at is not an ISO date/datetime") from exc
        for key in (
            "like_count",
            "comment_count",
            "share_count",
            "save_count",
            "view_count",
            "reach",
            "duration",
        ):
            if key in post and post[key] is not None:
                _int(post, key, 0)
        kind = post.get("kind") or post.get("media_type")
        if kind is not None and str(kind).lower() not in KINDS[platform]:
            raise BadRequest(f"posts[{i}].kind must be one of {', '.join(KINDS[platform])} on {platform}")
        out.append(post)
    return out


def _account_type_ok(platform: str, data: dict[str, Any]) -> None:
    """Instagram: the account type; Facebook: a Page or a person without one; LinkedIn: a member or a
    Company Page ADMINISTRATOR (no other platform has one)."""
    if "account_type" not in data:
        return
    allowed = {
        "instagram": IG_ACCOUNT_TYPES,
        "facebook": FB_ACCOUNT_TYPES,
        "linkedin": LI_ACCOUNT_TYPES,
        "tiktok": TT_ACCOUNT_TYPES,
    }.get(platform)
    if allowed is None or data["account_type"] not in allowed:
        ig, fb, li = ", ".join(IG_ACCOUNT_TYPES), ", ".join(FB_ACCOUNT_TYPES), ", ".join(LI_ACCOUNT_TYPES)
        tt = ", ".join(TT_ACCOUNT_TYPES)
        raise BadRequest(f"account_type is Instagram ({ig}), Facebook ({fb}), LinkedIn ({li}) or TikTok ({tt}) only")


def validate_account_spec(data: dict[str, Any]) -> dict[str, Any]:  # noqa: C901 - flat checks
    unknown = set(data) - ACCOUNT_KEYS
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    for key in ("platform", "username", "followers"):
        if key not in data:
            raise BadRequest(f"{key} is required")
    if data["platform"] not in PLATFORMS:
        raise BadRequest(f"platform must be one of {', '.join(PLATFORMS)}")
    username = data["username"]
    if not isinstance(username, str) or not username.strip() or len(username) > 64:
        raise BadRequest("username must be a non-empty string (max 64 chars)")
    _int(data, "followers", 0)
    spec = dict(data)
    if "daily_changes" in data and data["daily_changes"] is not None:
        changes = data["daily_changes"]
        if not isinstance(changes, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in changes):
            raise BadRequest("daily_changes must be a list of integers (oldest first, ending today)")
        if len(changes) > 3660:
            raise BadRequest("daily_changes may cover at most 3660 days")
        if data["followers"] - sum(changes) < 0:
            raise BadRequest("daily_changes sum to more than followers: the starting count would be negative")
    if "posts" in data and data["posts"] is not None:
        spec["posts"] = validate_posts(data["posts"], data["platform"])
    if "seed" in data and data["seed"] is not None:
        _int(data, "seed", 0, 2**62)
    _account_type_ok(data["platform"], data)
    if "owner" in data and (data["platform"] != "facebook" or not isinstance(data["owner"], str) or not data["owner"]):
        raise BadRequest("owner is Facebook only: the name of the person who manages the Page")
    if "trajectory" in data and data["trajectory"] not in TRAJECTORIES:
        raise BadRequest(f"trajectory must be one of {', '.join(TRAJECTORIES)}")
    if "history_days" in data:
        _int(data, "history_days", 1, 3660)
    if "following" in data:
        _int(data, "following", 0)
    if "posting_paused_days" in data:
        _int(data, "posting_paused_days", 0, 3660)
    for key in ("post_every_days", "shorts_every_days"):
        if key in data:
            _number(data, key)
    for key in ("display_name", "bio"):
        if key in data and not isinstance(data[key], str):
            raise BadRequest(f"{key} must be a string")
    return spec


def account_view(acc: Account, with_history: bool = False, with_posts: bool = False) -> dict[str, Any]:
    st = state()
    now = st.now()
    today = now.date()
    posts = acc.posts_at(now)
    view: dict[str, Any] = {
        "id": acc.id,
        "platform": acc.platform,
        "platform_user_id": acc.platform_user_id,
        "username": acc.username,
        "display_name": acc.display_name,
        "followers": acc.followers_on(today),
        "following": acc.following,
        "posts_count": len(posts),
        "history_start": acc.start.isoformat(),
        "followers_at_history_start": acc.base,
        "seed": acc.seed,
        "created_at": iso_z(acc.created_at),
        "today": today.isoformat(),
    }
    totals = {"view_count": 0, "like_count": 0, "comment_count": 0, "share_count": 0}
    for p in posts:
        totals["view_count"] += p.count("views", now)
        totals["like_count"] += p.count("likes", now)
        totals["comment_count"] += p.count("comments", now)
        totals["share_count"] += p.count("shares", now)
    view["totals"] = totals
    if acc.platform == "instagram":
        view["account_type"] = acc.account_type
        view["app_scoped_id"] = acc.scoped_id
    elif acc.platform == "facebook":
        view["account_type"] = acc.account_type
        view["owner"] = acc.owner
        view["owner_user_id"] = acc.scoped_id
    elif acc.platform == "tiktok":
        view["union_id"] = acc.scoped_id
        view["account_type"] = acc.account_type or "PERSONAL"
    elif acc.platform == "linkedin":
        view["account_type"] = acc.account_type
        view["person_urn"] = f"urn:li:person:{acc.platform_user_id}"
        if acc.account_type == "ADMINISTRATOR":
            view["organization_urn"] = f"urn:li:organization:{acc.scoped_id}"
    elif acc.platform == "youtube":
        view["uploads_playlist_id"] = acc.scoped_id
    if with_history:
        span = [acc.start + timedelta(days=i) for i in range((today - acc.start).days + 1)]
        view["daily_changes"] = [acc.change_on(d) for d in span]
        # what YouTube Analytics (subscribersGained/Lost) and LinkedIn's memberFollowersCount?q=dateRange
        # (gained only) say of each day: the truth a test computes a backfilled history from
        if acc.platform in ("youtube", "linkedin"):
            view["daily_gained_lost"] = [list(acc.gained_lost(d)) for d in span]
    if with_posts:
        view["posts"] = [
            {
                "id": p.id,
                "kind": p.kind,
                "published_at": iso_z(p.published_at),
                "caption": p.caption,
                "view_count": p.count("views", now),
                "like_count": p.count("likes", now),
                "comment_count": p.count("comments", now),
                "share_count": p.count("shares", now),
                "save_count": p.count("saves", now),
                "reach": p.count("reach", now),
                "duration": p.duration,
                # the truth behind YouTube's averageViewPercentage and the retention curve, and behind
                # an Instagram reel's ig_reels_avg_watch_time (duration x this share, in ms)
                **({"avg_view_pct": p.avg_view_pct} if acc.platform == "youtube" or p.kind == "reel" else {}),
            }
            for p in posts
        ]
    return view


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


@bp.get("/")
def index() -> Response:
    st = state()
    with st.lock:
        return json_response(
            {
                "sandbox": True,
                "now": iso_z(st.now()),
                "accounts": len(st.accounts),
                "endpoints": [
                    "accounts",
                    "clock",
                    "faults",
                    "rendezvous",
                    "media-faults",
                    "latency",
                    "calls",
                    "tokens",
                    "quota",
                    "reset",
                    "demo",
                    "replicas",
                ],
            }
        )


@bp.post("/accounts")
def create_account() -> Response:
    spec = validate_account_spec(body())
    st = state()
    with st.lock:
        try:
            acc = st.create_account(spec)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        st.save()
        return json_response(
            {
                "id": acc.id,
                "platform": acc.platform,
                "platform_user_id": acc.platform_user_id,
                "username": acc.username,
            },
            201,
        )


@bp.get("/accounts")
def list_accounts() -> Response:
    platform = request.args.get("platform")
    if platform is not None and platform not in PLATFORMS:
        raise BadRequest(f"platform must be one of {', '.join(PLATFORMS)}")
    st = state()
    with st.lock:
        accs = [a for a in st.accounts.values() if platform is None or a.platform == platform]
        return json_response({"accounts": [account_view(a, _flag("history"), _flag("posts")) for a in accs]})


def _get_account(acc_id: str) -> Account | Response:
    acc = state().accounts.get(acc_id)
    if acc is None:
        return control_error(404, "not_found", f"no sandbox account {acc_id!r}")
    return acc


@bp.get("/accounts/<acc_id>")
def get_account(acc_id: str) -> Response:
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        view = account_view(acc, _flag("history"), _flag("posts"))
        if _flag("audience"):
            view["audience"] = acc.audience()
        return json_response(view)


@bp.patch("/accounts/<acc_id>")
def patch_account(acc_id: str) -> Response:  # noqa: C901 - flat checks
    data = body()
    allowed = {"followers", "posts", "account_type", "display_name", "username", "following", "bio", "audience"}
    unknown = set(data) - allowed
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        posts = validate_posts(data["posts"], acc.platform) if "posts" in data else []
        audience: dict[str, Any] | None = None
        if "audience" in data:
            try:
                audience = validate_audience(data["audience"], acc.platform)
            except ValueError as exc:
                raise BadRequest(str(exc)) from exc
        if "followers" in data:
            _int(data, "followers", 0)
        if "following" in data:
            _int(data, "following", 0)
        _account_type_ok(acc.platform, data)
        for key in ("display_name", "username", "bio"):
            if key in data and (not isinstance(data[key], str) or not data[key]):
                raise BadRequest(f"{key} must be a non-empty string")
        now = st.now()
        if "followers" in data:
            acc.set_followers_today(now.date(), data["followers"])
        for p in posts:
            acc.add_explicit_post(p, now)
        for key in ("account_type", "display_name", "username", "bio"):
            if key in data:
                setattr(acc, key, data[key])
        if "following" in data:
            acc.following = data["following"]
        view = account_view(acc)
        if audience is not None:
            acc.audience_override.update(audience)
            view["audience"] = acc.audience()
        st.save()
        return json_response(view)


@bp.post("/accounts/<acc_id>/revoke")
def revoke(acc_id: str) -> Response:
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        n = st.revoke_account(acc_id)
        st.save()
        return json_response({"id": acc_id, "revoked_tokens": n})


@bp.delete("/accounts/<acc_id>/posts/<post_id>")
def delete_post(acc_id: str, post_id: str) -> Response:
    """The creator deletes a post at the platform (X's compliance case: the app must drop it too)."""
    st = state()
    with st.lock:
        acc = _get_account(acc_id)
        if isinstance(acc, Response):
            return acc
        post = acc.find_post(post_id, st.now())
        if post is None or not acc.delete_post(post_id, st.now()):
            return json_response({"error": f"no post {post_id} on account {acc_id}"}, 404)
        st.save()
        hooks = change_deliveries("post_deleted", acc, post)  # a Page's ``feed`` webhook (fb_webhooks.py)
    for url, raw, sig in hooks:
        send_signed(url, raw, sig)
    return json_response({"id": post_id, "deleted": True})


def clock_view() -> dict[str, Any]:
    st = state()
    now = st.now()
    return {
        "now": iso_z(now),
        "today": now.date().isoformat(),
        "pacific_today": st.pacific_today().isoformat(),
        "frozen": st.clock.frozen is not None,
    }


@bp.get("/clock")
def get_clock() -> Response:
    with state().lock:
        return json_response(clock_view())


@bp.post("/clock")
def set_clock() -> Response:
    data = body()
    allowed = {"today", "now", "advance_days", "advance_seconds"}
    unknown = set(data) - allowed
    if unknown or not data:
        raise BadRequest(
            'send {"today": "YYYY-MM-DD"}, {"now": ISO datetime}, {"advance_days": n} and/or {"advance_seconds": n}'
        )
    if "today" in data and "now" in data:
        raise BadRequest("send either today or now, not both")
    st = state()
    with st.lock:
        if "today" in data:
            try:
                st.clock.set_today(date.fromisoformat(str(data["today"])))
            except ValueError as exc:
                raise BadRequest("today must be YYYY-MM-DD") from exc
        if "now" in data:
            try:
                st.clock.set_now(parse_datetime(str(data["now"])))
            except ValueError as exc:
                raise BadRequest("now must be an ISO 8601 datetime") from exc
        delta = timedelta(0)
        if "advance_days" in data:
            delta += timedelta(days=_int(data, "advance_days", -3660, 3660))
        if "advance_seconds" in data:
            delta += timedelta(seconds=_number(data, "advance_seconds", -(10**9)))
        if delta:
            st.clock.advance(delta)
        st.save()
        return json_response(clock_view())


@bp.post("/faults")
def add_fault() -> Response:
    data = body()
    allowed = {"platform", "path_contains", "query_contains", "kind", "times", "skip", "retry_after", "seconds"}
    unknown = set(data) - allowed
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    if data.get("platform") not in PLATFORMS:
        raise BadRequest(f"platform must be one of {', '.join(PLATFORMS)}")
    if data.get("kind") not in FAULT_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(FAULT_KINDS)}")
    fault: dict[str, Any] = {"platform": data["platform"], "kind": data["kind"], "times": 1}
    if "times" in data:
        fault["times"] = _int(data, "times", 1, 10**6)
    if data.get("path_contains") is not None:
        if not isinstance(data["path_contains"], str) or not data["path_contains"]:
            raise BadRequest("path_contains must be a non-empty string")
        fault["path_contains"] = data["path_contains"]
    if data.get("query_contains") is not None:  # e.g. one breakdown or one Analytics report alone
        if not isinstance(data["query_contains"], str) or not data["query_contains"]:
            raise BadRequest("query_contains must be a non-empty string")
        fault["query_contains"] = data["query_contains"]
    if data.get("skip") is not None:  # let this many matching calls through first (e.g. fail page 2)
        fault["skip"] = _int(data, "skip", 0, 10**6)
    if data.get("retry_after") is not None:
        fault["retry_after"] = _int(data, "retry_after", 0, 86400 * 2)
    if data.get("seconds") is not None:
        fault["seconds"] = _number(data, "seconds")
    st = state()
    with st.lock:
        fault["id"] = st.next("fault")
        st.faults.append(fault)
        return json_response(fault, 201)


@bp.get("/faults")
def list_faults() -> Response:
    st = state()
    with st.lock:
        return json_response({"faults": [f for f in st.faults if f["times"] != 0]})


@bp.delete("/faults")
def clear_faults() -> Response:
    st = state()
    with st.lock:
        st.faults.clear()
        return json_response({"faults": []})


@dataclass
class Rendezvous:
    """Calls held until each of ``parties`` has one in flight (``faults.py``, ``POST /rendezvous``)."""

    name: str
    parties: int
    timeout: float
    arrived: int = 0
    state: str = "waiting"  # met | failed
    done: threading.Condition = field(default_factory=threading.Condition)

    def view(self) -> dict[str, Any]:
        with self.done:
            return {"name": self.name, "parties": self.parties, "arrived": self.arrived, "state": self.state}

    def arrive(self) -> None:
        """A party's call arrives: the last one releases the others; the others wait for it, or give up
        after ``timeout`` (then the rendezvous has failed, and later arrivals pass at once)."""
        with self.done:
            self.arrived += 1
            if self.state != "waiting":
                return
            if self.arrived >= self.parties:
                self.state = "met"
                self.done.notify_all()
            elif not self.done.wait_for(lambda: self.state != "waiting", self.timeout):
                self.state = "failed"
                self.done.notify_all()


def rendezvous() -> dict[str, Rendezvous]:
    """This sandbox app's rendezvous by name."""
    found: dict[str, Rendezvous] = current_app.extensions.setdefault("sandbox_rendezvous", {})
    return found


@bp.post("/rendezvous")
def add_rendezvous() -> Response:
    """Hold calls until all the named ones are in flight together (``faults.py``): proves an overlap."""
    data = body()
    unknown = set(data) - {"name", "parties", "timeout"}
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise BadRequest("name must be a string of 1-100 characters")
    parties = data.get("parties")
    if not isinstance(parties, list) or not 2 <= len(parties) <= 10:
        raise BadRequest("parties must be a list of 2-10 objects")
    for i, party in enumerate(parties):
        if not isinstance(party, dict) or set(party) - {"platform", "path_contains", "query_contains"}:
            raise BadRequest(f"parties[{i}] must be an object of platform, path_contains, query_contains?")
        if party.get("platform") not in PLATFORMS:
            raise BadRequest(f"parties[{i}].platform must be one of {', '.join(PLATFORMS)}")
        for key in ("path_contains", "query_contains"):
            if (key in party or key == "path_contains") and not (isinstance(party.get(key), str) and party[key]):
                raise BadRequest(f"parties[{i}].{key} must be a non-empty string")
    timeout = _number(data, "timeout") if "timeout" in data else 5.0
    if not 0 < timeout <= 60:
        raise BadRequest("timeout must be a number of seconds, more than 0 and at most 60")
    st = state()
    with st.lock:
        st.faults[:] = [f for f in st.faults if f.get("rendezvous") != name]
        rendezvous()[name] = Rendezvous(name, len(parties), timeout)
        for party in parties:
            st.faults.append({**party, "kind": "rendezvous", "times": 1, "rendezvous": name, "id": st.next("fault")})
    return json_response(rendezvous()[name].view(), 201)


@bp.get("/rendezvous/<name>")
def get_rendezvous(name: str) -> Response:
    meeting = rendezvous().get(name)
    if meeting is None:
        return control_error(404, "not_found", f"no rendezvous named {name}")
    return json_response(meeting.view())


@bp.put("/latency")
def set_latency() -> Response:
    data = body()
    if set(data) != {"ms"}:
        raise BadRequest('send {"ms": n}')
    ms = _int(data, "ms", 0, 600_000)
    st = state()
    with st.lock:
        st.latency_ms = ms
        return json_response({"ms": ms})


@bp.get("/latency")
def get_latency() -> Response:
    return json_response({"ms": state().latency_ms})


@bp.get("/calls")
def calls() -> Response:
    platform = request.args.get("platform")
    if platform is not None and platform not in PLATFORMS:
        raise BadRequest(f"platform must be one of {', '.join(PLATFORMS)}")
    st = state()
    with st.lock:
        out = [c for c in st.calls if platform is None or c["platform"] == platform]
        return json_response({"calls": out, "count": len(out), "quota_units": sum(c["quota_units"] for c in out)})


@bp.delete("/calls")
def clear_calls() -> Response:
    st = state()
    with st.lock:
        st.calls.clear()
        st.call_epoch += 1
        return json_response({"calls": []})


@bp.get("/tokens")
def tokens() -> Response:
    account = request.args.get("account")
    st = state()
    with st.lock:
        if account is not None and account not in st.accounts:
            return control_error(404, "not_found", f"no sandbox account {account!r}")
        out = []
        for tok in st.tokens.values():
            if account is None or tok.account_id == account:
                out.append(
                    {
                        "value": tok.value,
                        "kind": tok.kind,
                        "platform": tok.platform,
                        "account_id": tok.account_id,
                        "client_id": tok.client_id,
                        "scopes": tok.scopes,
                        "issued_at": iso_z(tok.issued_at),
                        "expires_at": iso_z(tok.expires_at) if tok.expires_at else None,
                        "status": st.token_status(tok),
                    }
                )
        for code in st.codes.values():
            if account is None or code.account_id == account:
                out.append(
                    {
                        "value": code.value,
                        "kind": "authorization_code",
                        "platform": code.platform,
                        "account_id": code.account_id,
                        "client_id": code.client_id,
                        "scopes": code.scopes,
                        "issued_at": iso_z(code.issued_at),
                        "expires_at": None,
                        "status": "used" if code.used else "unused",
                    }
                )
        return json_response({"tokens": out})


@bp.get("/quota")
def quota() -> Response:
    st = state()
    with st.lock:
        today = st.pacific_today().isoformat()
        usage = []
        linkedin = []
        for key, used in sorted(st.quota.items()):
            parts = key.split("|")
            if parts[0] == "linkedin" and len(parts) == 5:  # per endpoint and UTC day (linkedin/errors.py)
                who, owner, resource, day = parts[1:]
                linkedin.append({"scope": who, "owner": owner, "resource": resource, "utc_date": day, "used": used})
                continue
            if len(parts) != 3:
                continue
            client_id, bucket, day = parts
            usage.append(
                {
                    "client_id": client_id,
                    "bucket": bucket,
                    "pacific_date": day,
                    "used": used,
                    "limit": st.cfg["YT_QUOTA_LIMITS"].get(bucket),
                }
            )
        return json_response(
            {"pacific_today": today, "usage": usage, "limits": st.cfg["YT_QUOTA_LIMITS"], "linkedin": linkedin}
        )


@bp.post("/reset")
def reset() -> Response:
    st = state()
    st.reset()
    rendezvous().clear()
    with st.lock:
        return json_response({"reset": True, **clock_view()})


@bp.post("/demo")
def seed_demo_world() -> Response:
    """The demo creators (``demo.py``), created here so the product's ``flask demo`` needs only HTTP."""
    from .demo import seed_world

    st = state()
    ids = seed_world(st)
    with st.lock:
        st.save()
        accounts = [st.accounts[i] for i in ids]
        created = [
            {"id": a.id, "platform": a.platform, "platform_user_id": a.platform_user_id, "username": a.username}
            for a in accounts
        ]
    return json_response({"accounts": created}, 201)
