"""X's batch compliance jobs and the app-only token they take.

* ``POST api.x.com/oauth2/token`` ``grant_type=client_credentials`` with the app's API key and secret in
  HTTP Basic -> ``{"token_type": "bearer", "access_token": "AAAA..."}`` (the same token every time,
  until invalidated, as X does). Bad credentials: 403 ``{"errors": [{"code": 99, ...}]}``.
* ``POST /2/compliance/jobs`` ``{"type", "name"?, "resumable"?}`` (app-only token; a user token gets
  403 ``unsupported-authentication``) -> the job: ``id, type, name, resumable, upload_url,
  upload_expires_at`` (15 minutes), ``download_url, download_expires_at`` (7 days), ``status``
  (``created``), ``created_at``. One active job per type: a second gets 400 (unconfirmed wording).
* ``GET /2/compliance/jobs/:id`` and ``GET /2/compliance/jobs?type=`` (``status`` filter).
* ``PUT storage.googleapis.com/twttr-{tweet,user}-compliance/<id>/submission/...`` the ids, one a line:
  the job moves to ``in_progress``; the next read of the job completes it, the results computed from
  the world at that moment (a post deleted through the control API, or whose author is suspended or
  protected; a user suspended, protected or unknown). Storage errors are Google Cloud Storage's XML.
* ``GET storage.googleapis.com/.../delivery/...``: JSON lines ``{"id", "action": "delete",
  "created_at", "redacted_at", "reason"}``, only for ids that need action.

Control (``/_sandbox/x/compliance``): ``PUT {"outcome": "failed"|"expired", "malformed_lines": n}`` for
the next job that completes; ``GET`` lists the jobs with the ids they were sent.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from flask import Response, request

from ..common import control_error, json_response, state
from ..util import hexchars, iso_z
from .control import bp as control_bp
from .errors import PROBLEMS, XProblem, bp, invalid_request, unauthorized

STORAGE = "https://storage.googleapis.com"
BUCKETS = {"tweets": "twttr-tweet-compliance", "users": "twttr-user-compliance"}
UPLOAD_TTL = timedelta(minutes=15)
DOWNLOAD_TTL = timedelta(days=7)
MAX_IDS = 100_000  # per job (unconfirmed)


def _ms(dt: Any) -> str:
    return iso_z(dt).replace("Z", ".000Z")


# ------------------------------------------------------------------ app-only token


@bp.post("/api.x.com/oauth2/token")
@bp.post("/api.twitter.com/oauth2/token")
def app_token() -> Response:
    st = state()
    header = request.headers.get("Authorization", "")
    key = secret = ""
    if header.startswith("Basic "):
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
            key, _, secret = raw.partition(":")
            key, secret = unquote(key), unquote(secret)
        except (ValueError, UnicodeDecodeError):
            key = secret = ""
    denied = json_response(
        {"errors": [{"code": 99, "label": "authenticity_token_error", "message": "Unable to verify your credentials"}]},
        403,
    )
    with st.lock:
        client = next(
            (
                c
                for c in st.cfg["CLIENTS"].get("x", [])
                if c.get("api_key") and c.get("api_key") == key and c.get("api_secret") == secret
            ),
            None,
        )
        if client is None:
            return denied
        if request.form.get("grant_type") != "client_credentials":
            return json_response(
                {
                    "errors": [
                        {
                            "code": 170,
                            "label": "forbidden_missing_parameter",
                            "message": "Missing required parameter: grant_type",
                        }
                    ]
                },
                403,
            )
        app_tokens = st.tokens.of_account("")  # an app-only token belongs to no account
        tok = next(
            (t for t in app_tokens if t.kind == "app" and t.client_id == client["client_id"] and not t.revoked),
            None,
        )
        if tok is None:
            tok = st.issue_token("x", "app", "", client["client_id"], [], None, f"app:{client['client_id']}")
            st.save()
        return json_response({"token_type": "bearer", "access_token": tok.value})


def _app_auth() -> str:
    """The client id of a valid app-only token; a user-context token is refused as X refuses it."""
    st = state()
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header.startswith("Bearer ") else ""
    tok = st.tokens.get(value)
    if tok is None or tok.platform != "x" or tok.revoked:
        raise unauthorized()
    if tok.kind != "app":
        raise XProblem(
            403,
            "Unsupported Authentication",
            "Authenticating with OAuth 2.0 User Context is forbidden for this endpoint.  "
            "Supported authentication types are [OAuth 2.0 Application-Only].",
            PROBLEMS + "unsupported-authentication",
        )
    return tok.client_id


# ------------------------------------------------------------------ jobs


def _view(job: dict[str, Any]) -> dict[str, Any]:
    keys = (
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
    )
    return {k: job[k] for k in keys if k in job}


def _signed(bucket: str, job_id: str, part: str, seed: str) -> str:
    return (
        f"{STORAGE}/{bucket}/{job_id}/{part}/{hexchars(16, seed, job_id, part)}_{job_id}"
        f"?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=900&X-Goog-Signature={hexchars(64, 'sig', job_id, part)}"
    )


@bp.post("/api.x.com/2/compliance/jobs")
@bp.post("/api.twitter.com/2/compliance/jobs")
def create_job() -> Response:
    st = state()
    with st.lock:
        client_id = _app_auth()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise invalid_request("body", [{"message": "The request body is not valid JSON"}])
        job_type, name, resumable = body.get("type"), body.get("name"), body.get("resumable", False)
        problems = []
        if job_type not in BUCKETS:
            problems.append(
                {"parameters": {"type": [str(job_type)]}, "message": "The `type` value must be one of [tweets, users]"}
            )
        if name is not None and (not isinstance(name, str) or len(name) > 64):
            problems.append(
                {"parameters": {"name": [str(name)[:80]]}, "message": "The `name` is at most 64 characters"}
            )
        if not isinstance(resumable, bool):
            problems.append({"parameters": {"resumable": [str(resumable)]}, "message": "`resumable` is a boolean"})
        if problems:
            raise invalid_request("bad job", problems)
        active = [
            j
            for j in st.x_compliance.values()
            if j["client_id"] == client_id and j["type"] == job_type and j["status"] in ("created", "in_progress")
        ]
        if active:  # one concurrent job per type (X's words; the error's exact shape is unconfirmed)
            raise invalid_request(
                "active job",
                [{"message": f"There is already an active {job_type} job for this app: {active[0]['id']}"}],
            )
        now = st.now()
        job_id = str(1_425_543_269_983_784_962 + st.next("x_compliance_job"))
        bucket = BUCKETS[str(job_type)]
        job: dict[str, Any] = {
            "id": job_id,
            "type": job_type,
            "resumable": resumable,
            "upload_url": _signed(bucket, job_id, "submission", client_id),
            "upload_expires_at": _ms(now + UPLOAD_TTL),
            "download_url": _signed(bucket, job_id, "delivery", client_id),
            "download_expires_at": _ms(now + DOWNLOAD_TTL),
            "status": "created",
            "created_at": _ms(now),
            "client_id": client_id,
            "created": now.isoformat(),
            "ids": [],
            "results": None,
        }
        if name is not None:
            job["name"] = name
        st.x_compliance[job_id] = job
        return json_response({"data": _view(job)})


def _advance(job: dict[str, Any]) -> None:
    """An uploaded job completes at its next read (or fails / expires, as the control API set)."""
    st = state()
    if job["status"] == "created" and st.now() >= _created(job) + UPLOAD_TTL:
        job["status"] = "expired"  # nothing was uploaded in time
        return
    if job["status"] != "in_progress":
        return
    if not job.get("seen_in_progress"):
        job["seen_in_progress"] = True  # one read shows in_progress, as a real job takes a while
        return
    outcome = st.x_compliance_next.pop("outcome", None)
    if outcome in ("failed", "expired"):
        job["status"] = outcome
        return
    lines = [json.dumps(r, separators=(",", ":")) for r in _results(job)]
    for n in range(int(st.x_compliance_next.pop("malformed_lines", 0) or 0)):
        lines.insert(min(n, len(lines)), '{"id": "1846000000000000000", "action": "del')  # a cut line
    job["results"] = "\n".join(lines) + ("\n" if lines else "")
    job["status"] = "complete"


def _created(job: dict[str, Any]) -> Any:
    from ..util import parse_datetime

    return parse_datetime(job["created"])


def _results(job: dict[str, Any]) -> list[dict[str, Any]]:
    st = state()
    now = st.now()
    accounts = st.platform_accounts("x")
    out: list[dict[str, Any]] = []
    for item in job["ids"]:
        if job["type"] == "users":
            acc = next(iter(st.accounts.with_user_id("x", item)), None)
            reason = (
                "deleted" if acc is None else "suspended" if acc.suspended else "protected" if acc.protected else ""
            )
            created = acc.created_at if acc is not None else now
        else:
            found = next(((a, p) for a in accounts if (p := a.post_ever(item, now)) is not None), None)
            if found is None:
                reason, created = "deleted", now  # X does not know the id
            else:
                acc, post = found
                created = post.published_at
                reason = (
                    "deleted"
                    if post.id in acc.deleted_posts
                    else "suspended"
                    if acc.suspended
                    else "protected"
                    if acc.protected
                    else ""
                )
        if reason:
            out.append(
                {"id": item, "action": "delete", "created_at": _ms(created), "redacted_at": _ms(now), "reason": reason}
            )
    return out


def _job(job_id: str, client_id: str) -> dict[str, Any]:
    if not job_id.isdigit():
        raise invalid_request(
            "bad id",
            [
                {
                    "parameters": {"id": [job_id[:40]]},
                    "message": f"The `id` query parameter value [{job_id[:40]}] is not valid",
                }
            ],
        )
    job = state().x_compliance.get(job_id)
    if job is None or job["client_id"] != client_id:
        raise XProblem(
            404,
            "Not Found Error",
            f"Could not find compliance job with id: [{job_id}].",
            PROBLEMS + "resource-not-found",
        )
    return job


@bp.get("/api.x.com/2/compliance/jobs/<job_id>")
@bp.get("/api.twitter.com/2/compliance/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    st = state()
    with st.lock:
        job = _job(job_id, _app_auth())
        _advance(job)
        return json_response({"data": _view(job)})


@bp.get("/api.x.com/2/compliance/jobs")
@bp.get("/api.twitter.com/2/compliance/jobs")
def list_jobs() -> Response:
    st = state()
    with st.lock:
        client_id = _app_auth()
        job_type, status = request.args.get("type"), request.args.get("status")
        if job_type not in BUCKETS:
            raise invalid_request(
                "type",
                [
                    {
                        "parameters": {"type": [str(job_type)]},
                        "message": "The `type` value must be one of [tweets, users]",
                    }
                ],
            )
        jobs = [j for j in st.x_compliance.values() if j["client_id"] == client_id and j["type"] == job_type]
        for job in jobs:
            _advance(job)
        if status:
            jobs = [j for j in jobs if j["status"] == status]
        data = [_view(j) for j in sorted(jobs, key=lambda j: j["id"], reverse=True)]
        return json_response(
            {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {"result_count": 0}}
        )


# ------------------------------------------------------------------ the storage host (signed URLs)


def _gcs_error(status: int, code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(body, status=status, mimetype="application/xml")


def _signed_job(bucket: str, job_id: str, part: str, name: str) -> dict[str, Any] | None:
    job = state().x_compliance.get(job_id)
    if job is None or BUCKETS.get(job["type"]) != bucket:
        return None
    expected = _signed(bucket, job_id, part, job["client_id"]).split("?", 1)[0].rsplit("/", 1)[-1]
    if name != expected or request.args.get("X-Goog-Signature") != hexchars(64, "sig", job_id, part):
        return None
    return job


@bp.put("/storage.googleapis.com/<bucket>/<job_id>/submission/<name>")
def upload(bucket: str, job_id: str, name: str) -> Response:
    st = state()
    with st.lock:
        job = _signed_job(bucket, job_id, "submission", name)
        if job is None:
            return _gcs_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if st.now() >= _created(job) + UPLOAD_TTL or job["status"] != "created":
            return _gcs_error(400, "ExpiredToken", "The provided token has expired. Request signature expired.")
        text = request.get_data(as_text=True)
        ids = [line.strip() for line in text.splitlines() if line.strip()]
        if not ids or len(ids) > MAX_IDS or not all(i.isdigit() and len(i) <= 20 for i in ids):
            return _gcs_error(400, "InvalidArgument", "Upload one numeric id a line (1 to 100,000 ids).")
        job["ids"] = list(dict.fromkeys(ids))
        job["status"] = "in_progress"
        return Response("", status=200)


@bp.get("/storage.googleapis.com/<bucket>/<job_id>/delivery/<name>")
def download(bucket: str, job_id: str, name: str) -> Response:
    st = state()
    with st.lock:
        job = _signed_job(bucket, job_id, "delivery", name)
        if job is None:
            return _gcs_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if st.now() >= _created(job) + DOWNLOAD_TTL:
            return _gcs_error(400, "ExpiredToken", "The provided token has expired. Request signature expired.")
        if job["status"] != "complete" or job["results"] is None:
            return _gcs_error(404, "NoSuchKey", "The specified key does not exist.")
        return Response(job["results"], status=200, mimetype="application/octet-stream")


# ------------------------------------------------------------------ control


@control_bp.put("/compliance")
def put_next() -> Response:
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict) or not data or set(data) - {"outcome", "malformed_lines"}:
        return control_error(
            400, "invalid_request", 'send {"outcome": "failed"|"expired"} and/or {"malformed_lines": n}'
        )
    if "outcome" in data and data["outcome"] not in ("failed", "expired", None):
        return control_error(400, "invalid_request", "outcome is failed, expired or null")
    lines = data.get("malformed_lines", 0)
    if not isinstance(lines, int) or isinstance(lines, bool) or not 0 <= lines <= 100:
        return control_error(400, "invalid_request", "malformed_lines is 0..100")
    st = state()
    with st.lock:
        st.x_compliance_next.update(data)
        return json_response({"next": dict(st.x_compliance_next)})


@control_bp.get("/compliance")
def get_jobs() -> Response:
    st = state()
    with st.lock:
        jobs = [{**_view(j), "ids": list(j["ids"])} for j in st.x_compliance.values()]
        return json_response({"jobs": jobs, "next": dict(st.x_compliance_next)})
