"""Facebook Pages through Facebook Login (``graph.facebook.com``), per ``shared/reference/platforms.md`` §1, §3.

OAuth: the Login dialog at ``www.facebook.com/{v}/dialog/oauth`` (comma scopes, no PKCE); the code gives a
short-lived *user* token at ``graph.facebook.com/{v}/oauth/access_token``, exchanged at once for a 60-day one
(``fb_exchange_token``); the granted permissions come from ``/me/permissions``. The connection itself holds
a **Page token**: ``/me/accounts`` lists the Pages the person manages, each with its token. A Page token
obtained from a long-lived user token does not expire and there is no refresh flow: it dies with the grant
(app removed, password changed, Page role lost), which shows as code 190 and reaches us through the
deauthorize callback too. So :meth:`can_refresh` is always false and a dead token means "reconnect".

Errors are Meta's envelope, classified by ``error.code`` in :mod:`app.platforms.meta` (shared with
Instagram). Data calls send the token in the ``Authorization: Bearer`` header; the token endpoint takes
it in the query string as documented (its URLs are scrubbed in every error).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from app.platforms.base import (
    ContentItem,
    ContentKind,
    DailyInsight,
    PageGuard,
    Profile,
    TokenSet,
    as_mapping,
    aware_utc,
    dedupe,
    extract_hashtags,
    to_int,
)
from app.platforms.errors import BadResponse, InvalidMetric, InvalidRequest, PlatformError
from app.platforms.meta import MetaGraphAdapter

__all__ = ["DEPRECATED_METRICS", "FacebookAdapter", "PageChoice", "PostsAndDue"]

log = logging.getLogger(__name__)

GRAPH = "https://graph.facebook.com"
DIALOG = "https://www.facebook.com/{version}/dialog/oauth"

DEFAULT_SCOPES = ("pages_show_list", "pages_read_engagement", "read_insights")
PAGE_FIELDS = "id,name,username,link,followers_count,fan_count,picture"
ACCOUNTS_FIELDS = "id,name,username,access_token,tasks,picture"
#: per-post metrics, asked inside the posts call (one call per 100 posts, platforms.md §3.6)
POST_METRICS = ("post_media_view", "post_total_media_view_unique")
POST_COUNT_FIELDS = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
POST_FIELDS = "id,created_time,message,permalink_url,status_type,full_picture," + POST_COUNT_FIELDS
#: Page metrics of the cheapest daily sync (platforms.md §3.6), all ``period=day``
PAGE_METRICS = (
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
)
#: removed by Meta (2025-11-15, 2026-06-15): never requested (a test checks every request against this)
DEPRECATED_METRICS = frozenset(
    {
        "page_fans",
        "page_fans_country",
        "page_fans_city",
        "page_fans_gender_age",
        "page_follows_gender_age",
        "page_follows_locale",
        "page_fan_adds",
        "page_fan_adds_unique",
        "page_fan_removes",
        "page_fan_removes_unique",
        "page_impressions",
        "page_impressions_unique",
        "page_impressions_paid",
        "page_engaged_users",
        "post_impressions",
        "post_impressions_unique",
        "post_engaged_users",
    }
)
_METRIC_NAMES = {
    "page_media_view": "views",
    "page_total_media_view_unique": "reach",
    "page_post_engagements": "total_interactions",
    "page_daily_follows_unique": "followers_gained",
    "page_daily_unfollows_unique": "followers_lost",
    "post_media_view": "views",
    "post_total_media_view_unique": "reach",
}
PAGE_SIZE = 100  # Meta's maximum for edge lists
MAX_INSIGHT_DAYS = 90  # since..until may span at most 90 days
META_DAY_END = timedelta(hours=7)  # end_time of day D is D+1 07:00 UTC


@dataclass(frozen=True, repr=False)
class PageChoice:
    """A Page the person manages, as ``/me/accounts`` lists it; ``repr()`` never shows the token."""

    page_id: str
    name: str
    username: str | None
    access_token: str
    tasks: frozenset[str]
    picture_url: str | None = None

    def __repr__(self) -> str:
        return f"PageChoice(page_id={self.page_id!r}, name={self.name!r}, tasks={sorted(self.tasks)!r})"

    @property
    def can_analyze(self) -> bool:
        """Insights need a Page token of someone who can perform the ``ANALYZE`` task (platforms.md §3.1)."""
        return not self.tasks or "ANALYZE" in self.tasks


@dataclass
class PostsAndDue:
    """:meth:`FacebookAdapter.posts_and_due`: the new posts, the due posts' numbers by id, the due posts the
    walk did not reach, and a failure after the new posts were complete (``None``: none)."""

    content: list[ContentItem] = field(default_factory=list)
    metrics: dict[str, Mapping[str, float]] = field(default_factory=dict)
    unread: list[ContentItem] = field(default_factory=list)
    error: PlatformError | None = None


def _value(raw: Any) -> float | None:
    """A metric value: a number, or an object of numbers by breakdown (``page_media_view``), summed."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, Mapping):
        parts = [v for v in raw.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        return float(sum(parts)) if parts else None
    return None


def _summary_total(raw: Any) -> int | None:
    return to_int(as_mapping(as_mapping(raw).get("summary")).get("total_count"))


class FacebookAdapter(MetaGraphAdapter):
    """Facebook Pages: a Page token from the person's Facebook Login, Page and post numbers, insights."""

    name: ClassVar[str] = "facebook"
    credentials_label: ClassVar[str] = "Facebook app id and secret"
    default_scopes: ClassVar[tuple[str, ...]] = DEFAULT_SCOPES

    # ------------------------------------------------------------------ plumbing

    def _graph(
        self,
        path: str,
        access_token: str | None,
        params: Mapping[str, Any] | None = None,
        requested_metrics: Sequence[str] = (),
    ) -> Any:
        response = self.http.request(
            "GET", f"{GRAPH}/{self.api_version}/{path.lstrip('/')}", params=params, access_token=access_token
        )
        return self._check(response, requested_metrics)

    def _pages_of(self, path: str, token: str, params: Mapping[str, Any]) -> Iterator[list[Mapping[str, Any]]]:
        """Cursor paging on ``after`` (the ``next`` URL is never followed: it carries the token)."""
        guard = PageGuard(self.name)
        query = dict(params)
        while True:
            body = self._graph(path, token, query)
            if not isinstance(body, Mapping) or not isinstance(body.get("data", []), list):
                raise BadResponse(f"{path} answer has no data list", platform=self.name)
            yield [r for r in body.get("data", []) if isinstance(r, Mapping) and r.get("id") is not None]
            paging = as_mapping(body.get("paging"))
            after = as_mapping(paging.get("cursors")).get("after")
            if not paging.get("next") or not guard.next_allowed(after):
                return
            query = {**params, "after": after}

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None = None) -> str:
        """The Login dialog; ``code_challenge`` is ignored (no PKCE for Facebook Login web apps)."""
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(self.scopes),
        }
        return self.http.hosts.url(DIALOG.format(version=self.api_version)) + "?" + urlencode(query)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> TokenSet:
        """Code -> short-lived user token -> 60-day user token; scopes from ``/me/permissions``.

        The result is the *user* grant: :meth:`list_pages` turns it into Page grants.
        """
        now = datetime.now(UTC)
        base = {"client_id": self.client_id, "client_secret": self.client_secret}
        short = self._graph(
            "oauth/access_token",
            None,
            {**base, "redirect_uri": redirect_uri, "code": code.strip().removesuffix("#_=_")},
        )
        short_token = as_mapping(short).get("access_token")
        if not isinstance(short_token, str) or not short_token:
            raise BadResponse("token answer without access_token", platform=self.name)
        long = as_mapping(
            self._graph(
                "oauth/access_token",
                None,
                {**base, "grant_type": "fb_exchange_token", "fb_exchange_token": short_token},
            )
        )
        token = long.get("access_token")
        if not isinstance(token, str) or not token:
            raise BadResponse("token answer without access_token", platform=self.name)
        expires_in = to_int(long.get("expires_in"))
        return TokenSet(
            access_token=token,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            scopes=self.permissions(token),
            platform_user_id=self.user_id(token),
            token_type="bearer",  # noqa: S106 - a token type name
            issued_at=now,
            extras={"grant": "user"},
        )

    def user_id(self, user_token: str) -> str:
        """The person's app-scoped id (``/me``): Meta's deauthorize and deletion callbacks name it."""
        body = as_mapping(self._graph("me", user_token, {"fields": "id"}))
        if body.get("id") is None:
            raise BadResponse("user answer without id", platform=self.name)
        return str(body["id"])

    def permissions(self, user_token: str) -> frozenset[str]:
        """The granted permissions of a user token (``/me/permissions``; declined ones left out)."""
        body = self._graph("me/permissions", user_token)
        rows = as_mapping(body).get("data")
        if not isinstance(rows, list):
            raise BadResponse("permissions answer has no data list", platform=self.name)
        return frozenset(
            str(r["permission"])
            for r in rows
            if isinstance(r, Mapping) and r.get("status") == "granted" and isinstance(r.get("permission"), str)
        )

    def list_pages(self, user_token: str) -> list[PageChoice]:
        """The Pages the person manages (``/me/accounts``), each with its Page token; malformed rows skipped."""
        out: list[PageChoice] = []
        for page in self._pages_of("me/accounts", user_token, {"fields": ACCOUNTS_FIELDS, "limit": PAGE_SIZE}):
            for raw in page:
                token = raw.get("access_token")
                if not isinstance(token, str) or not token:
                    continue  # a Page the person may not act for: no token, nothing to connect
                tasks = raw.get("tasks")
                out.append(
                    PageChoice(
                        page_id=str(raw["id"]),
                        name=str(raw.get("name") or raw["id"])[:255],
                        username=str(raw["username"])[:255] if isinstance(raw.get("username"), str) else None,
                        access_token=token,
                        tasks=frozenset(t for t in tasks if isinstance(t, str))
                        if isinstance(tasks, list)
                        else frozenset(),
                        picture_url=as_mapping(as_mapping(raw.get("picture")).get("data")).get("url"),
                    )
                )
        return list({p.page_id: p for p in out}.values())

    def page_grant(self, user_grant: TokenSet, page: PageChoice) -> TokenSet:
        """The grant a connection stores: the Page token (no expiry), the user's permissions."""
        return TokenSet(
            access_token=page.access_token,
            expires_at=None,
            scopes=user_grant.scopes,
            platform_user_id=page.page_id,
            issued_at=user_grant.issued_at,
            extras={"grant": "page", "grantor_id": user_grant.platform_user_id} if user_grant.platform_user_id else {},
        )

    def can_refresh(self, token_set: TokenSet, now: datetime | None = None) -> bool:
        """Never: a Page token from a long-lived user token does not expire and has no refresh flow."""
        return False

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """Nothing to refresh: the same grant back, no call."""
        return token_set

    def revoke(self, token_set: TokenSet) -> None:
        """A Page token cannot remove the app (``DELETE /me/permissions`` needs the user token we do not
        keep): a no-op; the caller deletes the token, the person removes the app in Facebook's settings."""
        return

    # ------------------------------------------------------------------ data

    def fetch_profile(self, access_token: str) -> Profile:
        """``GET /{v}/me`` with the Page token: the Page's name, picture and follower count."""
        body = self._graph("me", access_token, {"fields": PAGE_FIELDS})
        if not isinstance(body, Mapping) or body.get("id") is None:
            raise BadResponse("Page answer without id", platform=self.name)
        fans = to_int(body.get("fan_count"))
        return Profile(
            platform_user_id=str(body["id"]),
            username=body.get("username") if isinstance(body.get("username"), str) else None,
            display_name=body.get("name") if isinstance(body.get("name"), str) else None,
            avatar_url=as_mapping(as_mapping(body.get("picture")).get("data")).get("url"),
            followers=to_int(body.get("followers_count")),
            account_type="PAGE",
            extras={"fan_count": fans} if fans is not None else {},
        )

    def _post_item(self, raw: Mapping[str, Any]) -> ContentItem:
        kind: ContentKind = "video" if str(raw.get("status_type") or "") == "added_video" else "image"
        message = raw.get("message") if isinstance(raw.get("message"), str) else None
        metrics: dict[str, float] = {}
        for field_name, metric in (("reactions", "likes"), ("comments", "comments")):
            total = _summary_total(raw.get(field_name))
            if total is not None:
                metrics[metric] = total
        if "reactions" in raw or "comments" in raw:
            # Meta omits ``shares`` when nobody shared; it was asked for, so its absence means 0
            metrics["shares"] = to_int(as_mapping(raw.get("shares")).get("count")) or 0
        metrics.update(self._insight_values(as_mapping(raw.get("insights")).get("data")))
        return ContentItem(
            platform_id=str(raw["id"]),
            kind=kind,
            published_at=aware_utc(raw.get("created_time"), self.name, "post created_time"),
            caption=message,
            permalink=raw.get("permalink_url") if isinstance(raw.get("permalink_url"), str) else None,
            thumbnail_url=raw.get("full_picture") if isinstance(raw.get("full_picture"), str) else None,
            hashtags=extract_hashtags(message),
            metrics=metrics,
            extras={"status_type": str(raw.get("status_type") or "")},
        )

    @staticmethod
    def _insight_values(entries: Any) -> dict[str, float]:
        out: dict[str, float] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            name = _METRIC_NAMES.get(str(entry.get("name")))
            values = entry.get("values")
            if name and isinstance(values, list) and values and isinstance(values[0], Mapping):
                value = _value(values[0].get("value"))
                if value is not None:
                    out[name] = value
        return out

    def _post_fields(self, with_insights: bool) -> str:
        return POST_FIELDS + (f",insights.metric({','.join(POST_METRICS)})" if with_insights else "")

    def fetch_content(
        self,
        access_token: str,
        since: datetime | None = None,
        *,
        max_items: int | None = None,
        profile: Profile | None = None,
    ) -> list[ContentItem]:
        """``/me/published_posts`` newest first, 100 a page, with reactions, comments, shares and the post
        insights nested in the same call. When Meta refuses a nested metric, the walk is done again without
        the insights (the counts still come; the views and reach then stay absent)."""
        try:
            return self._walk_posts(access_token, since, max_items, with_insights=True)
        except InvalidMetric as exc:
            log.info("facebook: nested post insights refused (%s); listing posts without them", exc)
            return self._walk_posts(access_token, since, max_items, with_insights=False)

    def _walk_posts(
        self, access_token: str, since: datetime | None, max_items: int | None, *, with_insights: bool
    ) -> list[ContentItem]:
        params: dict[str, Any] = {"fields": self._post_fields(with_insights), "limit": PAGE_SIZE}
        if since is not None:
            params["since"] = int(since.timestamp())
        items: list[ContentItem] = []
        metrics = POST_METRICS if with_insights else ()
        for page in self._posts_pages(access_token, params, metrics):
            for raw in page:
                try:
                    item = self._post_item(raw)
                except BadResponse:
                    log.info("facebook: skipped a post without a usable created_time")
                    continue
                if since is None or item.published_at >= since:
                    items.append(item)
            items = dedupe(items)
            if max_items is not None and len(items) >= max_items:
                break
        items.sort(key=lambda i: i.published_at, reverse=True)
        return items[:max_items] if max_items is not None else items

    def _posts_pages(
        self, token: str, params: Mapping[str, Any], metrics: Sequence[str]
    ) -> Iterator[list[Mapping[str, Any]]]:
        guard = PageGuard(self.name)
        query = dict(params)
        while True:
            body = self._graph("me/published_posts", token, query, requested_metrics=metrics)
            if not isinstance(body, Mapping) or not isinstance(body.get("data", []), list):
                raise BadResponse("posts answer has no data list", platform=self.name)
            yield [r for r in body.get("data", []) if isinstance(r, Mapping) and r.get("id") is not None]
            paging = as_mapping(body.get("paging"))
            after = as_mapping(paging.get("cursors")).get("after")
            if not paging.get("next") or not guard.next_allowed(after):
                return
            query = {**params, "after": after}

    def posts_and_due(self, access_token: str, since: datetime, due: Sequence[ContentItem]) -> PostsAndDue:
        """The posts published since ``since`` and the fresh numbers of the stored posts ``due``, from one
        walk of ``/me/published_posts`` reaching back to the oldest due post (platforms.md §3.6 step 3: one
        call per 100 posts with the counts and insights nested, ``since`` = the window's start) instead of
        a ``GET /{post-id}`` per due post, which gives the same fields.

        Once the new posts are all read, a further page is asked only while the pages beyond them are
        fewer than the due posts they found, so the walk never costs more calls than the per-post reads
        it replaces; the due posts it did not reach are in ``unread`` (the caller reads them one by one).
        A due post missing from a walk that reached past it is gone (deleted or unpublished), as a
        ``GET /{post-id}`` answering code 100 says. A failure after the new posts were complete is kept
        in ``error`` with what was read; before, it is raised as from :meth:`fetch_content`."""
        try:
            return self._posts_and_due(access_token, since, due, with_insights=True)
        except InvalidMetric as exc:
            log.info("facebook: nested post insights refused (%s); listing posts without them", exc)
            return self._posts_and_due(access_token, since, due, with_insights=False)

    def _posts_and_due(
        self, access_token: str, since: datetime, due: Sequence[ContentItem], *, with_insights: bool
    ) -> PostsAndDue:
        stored = {i.platform_id: i for i in due}
        start = min([since, *(i.published_at for i in due)]) - timedelta(seconds=1)
        params = {"fields": self._post_fields(with_insights), "limit": PAGE_SIZE, "since": int(start.timestamp())}
        pages = iter(self._posts_pages(access_token, params, POST_METRICS if with_insights else ()))
        out = PostsAndDue()
        found: set[str] = set()  # due posts seen (a due post inside the new window comes back as new)
        oldest: datetime | None = None  # the oldest post seen (the list is newest first)
        beyond = 0  # pages read after the one that completed the new posts
        ended = False
        while True:
            new_done = oldest is not None and oldest < since
            # old cost: the new posts' pages + one call per due post; this walk's: the same pages + ``beyond``
            # + one call per due post not found. A page beyond is read only while ``beyond`` < found.
            if new_done and (len(found) == len(stored) or beyond >= len(found)):
                break
            try:
                page = next(pages, None)
            except PlatformError as exc:
                if not new_done or (isinstance(exc, InvalidMetric) and with_insights):
                    raise
                out.error = exc
                break
            if page is None:
                ended = True
                break
            beyond += new_done
            for raw in page:
                try:
                    item = self._post_item(raw)
                except BadResponse:
                    log.info("facebook: skipped a post without a usable created_time")
                    continue
                oldest = item.published_at if oldest is None else min(oldest, item.published_at)
                if item.platform_id in stored:
                    found.add(item.platform_id)
                if item.published_at >= since:
                    out.content.append(item)
                elif item.platform_id in stored:
                    out.metrics.setdefault(item.platform_id, {**stored[item.platform_id].metrics, **item.metrics})
        out.content = sorted(dedupe(out.content), key=lambda i: i.published_at, reverse=True)
        if not ended:  # the due posts at or past the last one seen were not reached (passed ones are gone)
            out.unread = [i for i in due if i.platform_id not in found and (oldest is None or i.published_at <= oldest)]
        return out

    def fetch_content_metrics(self, access_token: str, items: Sequence[ContentItem]) -> dict[str, Mapping[str, float]]:
        """One ``GET /{post-id}`` per item with the counts and nested insights; deleted posts are absent."""
        out: dict[str, Mapping[str, float]] = {}
        fields = self._post_fields(True)
        for item in items:
            try:
                body = self._graph(item.platform_id, access_token, {"fields": fields}, requested_metrics=POST_METRICS)
            except InvalidMetric:
                body = self._graph(item.platform_id, access_token, {"fields": self._post_fields(False)})
            except InvalidRequest as exc:
                if exc.code == 100:  # "Object with ID ... does not exist": deleted or hidden since
                    continue
                raise
            if isinstance(body, Mapping) and body.get("id") is not None and body.get("created_time") is not None:
                out[item.platform_id] = {**item.metrics, **self._post_item(body).metrics}
        return out

    def fetch_account_insights(
        self, access_token: str, since: date, until: date, *, profile: Profile | None = None
    ) -> list[DailyInsight]:
        """Page insights for the days ``since``..``until``: one ``period=day`` call per 90 days.

        Day D is the point whose ``end_time`` is ``D+1T07:00:00+0000``; the window ``(since, until]`` is
        drawn on those end times. Unfinished days are absent. A metric Meta refuses is dropped (when the
        message does not say which, each is asked alone once).
        """
        if until < since:
            return []
        days: dict[date, dict[str, float]] = {}
        wanted = [m for m in PAGE_METRICS if m not in DEPRECATED_METRICS]
        start = since
        while start <= until and wanted:
            end = min(until, start + timedelta(days=MAX_INSIGHT_DAYS - 2))
            window = {
                "period": "day",
                "since": int((datetime.combine(start, datetime.min.time(), UTC) + META_DAY_END).timestamp()),
                "until": int(
                    (datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) + META_DAY_END).timestamp()
                ),
            }
            entries, wanted = self._page_insights(access_token, wanted, window)
            for entry in entries:
                name = _METRIC_NAMES.get(str(entry.get("name")))
                for point in entry.get("values") or []:
                    if not isinstance(point, Mapping) or name is None:
                        continue
                    day = _point_day(point.get("end_time"), self.name)
                    value = _value(point.get("value"))
                    if day is not None and since <= day <= until and value is not None:
                        days.setdefault(day, {})[name] = value
            start = end + timedelta(days=1)
        return [DailyInsight(day=d, metrics=m) for d, m in sorted(days.items())]

    def fetch_page_insight(self, access_token: str, metric: str, period: str = "lifetime") -> Any:
        """One Page insights metric as Meta answers it (``GET /{v}/me/insights?metric=..&period=..``), the
        body unparsed: breakdown metrics (``page_follows_country``: an object of counts per key) have shapes
        of their own, parsed by their reader (``app.platforms.facebook_page_audience``). Errors are
        classified as on every Page call (a refused metric: :class:`InvalidMetric`)."""
        return self._graph(
            "me/insights", access_token, {"metric": metric, "period": period}, requested_metrics=[metric]
        )

    def _page_insights(
        self, token: str, metrics: list[str], window: Mapping[str, Any]
    ) -> tuple[list[Mapping[str, Any]], list[str]]:
        """The entries, and the metrics still worth asking (refused ones removed for the next window)."""
        try:
            body = self._graph("me/insights", token, {"metric": ",".join(metrics), **window}, requested_metrics=metrics)
        except InvalidMetric as exc:
            if exc.metrics:
                keep = [m for m in metrics if m not in exc.metrics]
                return self._page_insights(token, keep, window) if keep else ([], [])
            entries: list[Mapping[str, Any]] = []
            keep = []
            for metric in metrics:
                try:
                    one = self._graph("me/insights", token, {"metric": metric, **window}, requested_metrics=[metric])
                except InvalidMetric:
                    log.info("facebook: dropping refused Page metric %s", metric)
                    continue
                keep.append(metric)
                entries.extend(e for e in as_mapping(one).get("data") or [] if isinstance(e, Mapping))
            return entries, keep
        data = as_mapping(body).get("data")
        if not isinstance(data, list):
            raise BadResponse("insights answer has no data list", platform=self.name)
        return [e for e in data if isinstance(e, Mapping)], metrics


def _point_day(end_time: Any, platform: str) -> date | None:
    """The day a ``period=day`` point measures: the day-long period ending at ``end_time``."""
    try:
        end = aware_utc(end_time, platform, "end_time")
    except BadResponse:
        return None
    return (end - timedelta(days=1)).date()
