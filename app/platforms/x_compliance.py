"""X's batch compliance endpoints (``/2/compliance/jobs``) with an app-only bearer token.

X's terms want deleted, suspended and protected content gone from our store within 24 h
(``platforms.md`` 6.5); a lookup by ids only reaches the posts still on the aging schedule, so every
stored id is checked through a compliance job instead:

1. ``POST /2/compliance/jobs`` ``{"type": "tweets"|"users", "name": ...}`` -> ``data`` with ``id``,
   ``type``, ``name``, ``resumable``, ``upload_url`` (15 minutes), ``upload_expires_at``,
   ``download_url``, ``download_expires_at`` (a week), ``status`` (``created``), ``created_at``.
2. ``PUT upload_url`` with the ids, one a line, ``Content-Type: text/plain`` (a signed Google Cloud
   Storage URL: no bearer token goes there).
3. ``GET /2/compliance/jobs/:id`` until ``status`` is ``complete`` (or ``failed`` / ``expired``);
   ``in_progress`` between.
4. ``GET download_url``: JSON lines, one per id that needs action, ``{"id", "action": "delete",
   "created_at", "redacted_at", "reason"}``, ``reason`` one of ``deleted``, ``suspended``,
   ``protected``, ``deactivated``, ``scrub_geo``, ``bounced``; ids not listed are fine.

These endpoints take only app-only auth (OAuth 2.0 client credentials): ``POST /oauth2/token`` with
``grant_type=client_credentials`` and the app's API key and secret in HTTP Basic answers
``{"token_type": "bearer", "access_token": "AAAA..."}``; the token does not expire until the app
invalidates it, so it is fetched once and cached (encrypted) in Redis.

Unconfirmed (X's docs do not say, or say it in only one place): the ids per job (100,000 is used,
``MAX_IDS_PER_JOB``), the answer to a second active job of a type, and the ``user`` result fields.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from app.platforms.base import as_mapping
from app.platforms.errors import BadResponse, InvalidRequest, PlatformError, TokenExpired
from app.platforms.http import PlatformHttp, json_body
from app.platforms.x import API, classify_x_error

__all__ = [
    "APP_TOKEN_URL",
    "JOB_TYPES",
    "MAX_IDS_PER_JOB",
    "ComplianceAction",
    "ComplianceJob",
    "ComplianceResults",
    "XComplianceClient",
    "parse_results",
]

APP_TOKEN_URL = f"{API}/oauth2/token"
JOBS_URL = f"{API}/2/compliance/jobs"
JOB_TYPES = ("tweets", "users")
#: ids one job takes (unconfirmed: X's pages say "up to 100,000" in one place)
MAX_IDS_PER_JOB = 100_000
#: a result line longer than this is not one of X's (an id, two dates, two words)
MAX_LINE = 2_000
FINAL = ("complete", "failed", "expired")


@dataclass(frozen=True)
class ComplianceJob:
    """A job as X describes it (the fields we use)."""

    id: str
    type: str
    status: str
    upload_url: str | None
    download_url: str | None
    upload_expires_at: str | None = None
    download_expires_at: str | None = None

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> ComplianceJob:
        data = as_mapping(body.get("data"))
        job_id, status = data.get("id"), data.get("status")
        if not isinstance(job_id, str | int) or isinstance(job_id, bool) or not isinstance(status, str):
            raise BadResponse("compliance job without id or status", platform="x")

        def text(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            id=str(job_id),
            type=str(data.get("type") or ""),
            status=status,
            upload_url=text("upload_url"),
            download_url=text("download_url"),
            upload_expires_at=text("upload_expires_at"),
            download_expires_at=text("download_expires_at"),
        )


@dataclass(frozen=True)
class ComplianceAction:
    """One result line: X wants ``id`` acted on (``action`` ``delete``) for ``reason``."""

    id: str
    action: str
    reason: str


@dataclass
class ComplianceResults:
    """The parsed result file: the actions, and how many lines were not usable (skipped, counted)."""

    actions: list[ComplianceAction] = field(default_factory=list)
    malformed: int = 0


def parse_results(text: str) -> ComplianceResults:
    """JSON lines -> actions; a line that is not a JSON object with a numeric ``id`` and an ``action``
    is skipped and counted, so one bad line never loses the others."""
    out = ComplianceResults()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            item = json.loads(line) if len(line) <= MAX_LINE else None
        except ValueError:
            item = None
        if not isinstance(item, dict):
            out.malformed += 1
            continue
        pid, action = item.get("id"), item.get("action")
        pid = str(pid) if isinstance(pid, str | int) and not isinstance(pid, bool) else ""
        if not pid.isdigit() or not isinstance(action, str) or not action:
            out.malformed += 1
            continue
        reason = item.get("reason")
        out.actions.append(ComplianceAction(pid, action, reason if isinstance(reason, str) else ""))
    return out


class XComplianceClient:
    """The four calls of a compliance job and the app-only token they need.

    ``token_cache``: ``(get, put, drop)`` of the cached bearer token (the service keeps it in Redis);
    on a 401 the cached token is dropped and fetched again once.
    """

    def __init__(
        self,
        http: PlatformHttp,
        *,
        api_key: str,
        api_secret: str,
        token_cache: tuple[Callable[[], str | None], Callable[[str], None], Callable[[], None]] | None = None,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError("X API key and secret are required for app-only calls")
        self.http = http
        self.api_key = api_key
        self.api_secret = api_secret
        self._cache = token_cache
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"XComplianceClient(api_key={self.api_key!r})"

    # ------------------------------------------------------------------ app-only token

    def fetch_app_token(self) -> str:
        """``POST /oauth2/token`` ``grant_type=client_credentials`` with the API key/secret in Basic."""
        raw = f"{quote(self.api_key, safe='')}:{quote(self.api_secret, safe='')}".encode()
        response = self.http.request(
            "POST",
            APP_TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={
                "Authorization": "Basic " + base64.b64encode(raw).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
            },
        )
        body = self._check(response)
        token = body.get("access_token")
        if str(body.get("token_type") or "").lower() != "bearer" or not isinstance(token, str) or not token:
            raise BadResponse("app-only token answer without a bearer token", platform="x")
        return token

    def _app_token(self) -> str:
        if self._token is None and self._cache is not None:
            self._token = self._cache[0]()
        if self._token is None:
            self._token = self.fetch_app_token()
            if self._cache is not None:
                self._cache[1](self._token)
        return self._token

    def _drop_token(self) -> None:
        self._token = None
        if self._cache is not None:
            self._cache[2]()

    def _check(self, response: Any) -> Mapping[str, Any]:
        body = json_body(response, "x")
        error = classify_x_error(response, body)
        if error is not None:
            raise error
        if not isinstance(body, Mapping):
            raise BadResponse("answer is not a JSON object", platform="x")
        return body

    def _api(self, method: str, url: str, **kwargs: Any) -> Mapping[str, Any]:
        for attempt in (0, 1):
            response = self.http.request(method, url, access_token=self._app_token(), **kwargs)
            try:
                return self._check(response)
            except TokenExpired:
                if attempt:
                    raise
                self._drop_token()  # the app's bearer token was invalidated: fetch a new one once
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ the job

    def create_job(self, job_type: str, name: str) -> ComplianceJob:
        if job_type not in JOB_TYPES:
            raise ValueError(f"unknown compliance job type {job_type!r}")
        body = self._api("POST", JOBS_URL, json_body={"type": job_type, "name": name[:64]})
        job = ComplianceJob.of(body)
        if not job.upload_url:
            raise BadResponse("compliance job without an upload_url", platform="x")
        return job

    def get_job(self, job_id: str) -> ComplianceJob:
        if not job_id.isdigit():
            raise ValueError("a compliance job id is numeric")
        return ComplianceJob.of(self._api("GET", f"{JOBS_URL}/{job_id}"))

    def upload(self, upload_url: str, ids: Sequence[str]) -> None:
        """PUT the ids, one a line, to the signed storage URL (no bearer token: the URL is the grant)."""
        payload = "\n".join(ids) + "\n"
        response = self.http.request(
            "PUT", upload_url, content=payload.encode("ascii"), headers={"Content-Type": "text/plain"}
        )
        if response.status_code >= 400:
            raise _storage_error(response.status_code, "upload")

    def download(self, download_url: str) -> ComplianceResults:
        response = self.http.request("GET", download_url)
        if response.status_code >= 400:
            raise _storage_error(response.status_code, "download")
        return parse_results(response.text)


def _storage_error(status: int, what: str) -> PlatformError:
    from app.platforms.errors import PlatformUnavailable

    if status >= 500:
        return PlatformUnavailable(f"X compliance {what} storage answered {status}", platform="x", status=status)
    return InvalidRequest(
        f"X compliance {what} refused ({status}): the signed URL expired?", platform="x", status=status
    )


def expired(stamp: str | None, now: datetime) -> bool:
    """Whether an ``*_expires_at`` stamp of X's is past (unparseable: not known to be past)."""
    if not stamp:
        return False
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when <= now
