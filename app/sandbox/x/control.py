"""The control API's X part, under ``/_sandbox/x/``: account states and the monthly read cap.

* ``PATCH /_sandbox/x/accounts/<id>`` ``{"protected": bool, "suspended": bool}``
* ``GET`` / ``PUT /_sandbox/x/limits`` ``{"users/me": 2, "users/tweets": 5, "tweets": 5}``: the per-user
  15-minute limits of the three endpoints (``X_RATE_LIMITS`` until set; back to it at reset).
* ``GET /_sandbox/x/usage`` / ``PUT /_sandbox/x/usage`` ``{"client_id": .., "post_reads": n}``: the post
  reads of the current billing cycle (``X_MONTHLY_POST_READS`` is the cap; ``X_CAP_RESET_DAY`` its day).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..common import control_error, json_response, state
from ..util import iso_z
from .api import _cap_key
from .errors import next_cycle_start

bp = Blueprint("sandbox_x_control", __name__, url_prefix="/_sandbox/x")


def _body() -> dict[str, object] | None:
    data = request.get_json(silent=True, force=True)
    return data if isinstance(data, dict) else None


@bp.patch("/accounts/<acc_id>")
def patch_account(acc_id: str) -> Response:
    data = _body()
    if data is None or not data or set(data) - {"protected", "suspended"}:
        return control_error(400, "invalid_request", 'send {"protected": bool} and/or {"suspended": bool}')
    if any(not isinstance(v, bool) for v in data.values()):
        return control_error(400, "invalid_request", "protected and suspended must be booleans")
    st = state()
    with st.lock:
        acc = st.accounts.get(acc_id)
        if acc is None or acc.platform != "x":
            return control_error(404, "not_found", f"no sandbox X account {acc_id!r}")
        if "protected" in data:
            acc.protected = bool(data["protected"])
        if "suspended" in data:
            acc.suspended = bool(data["suspended"])
        st.save()
        return json_response({"id": acc.id, "protected": acc.protected, "suspended": acc.suspended})


def _usage(client_id: str) -> dict[str, object]:
    st = state()
    return {
        "client_id": client_id,
        "post_reads": st.quota.get(_cap_key(client_id), 0),
        "cap": int(st.cfg["X_MONTHLY_POST_READS"]),
        "resets_at": iso_z(next_cycle_start(st.now(), int(st.cfg["X_CAP_RESET_DAY"]))),
    }


@bp.get("/usage")
def get_usage() -> Response:
    st = state()
    with st.lock:
        return json_response({"usage": [_usage(c["client_id"]) for c in st.cfg["CLIENTS"].get("x", [])]})


@bp.put("/usage")
def put_usage() -> Response:
    data = _body()
    reads = data.get("post_reads") if data else None
    if data is None or not isinstance(reads, int) or isinstance(reads, bool) or reads < 0:
        return control_error(400, "invalid_request", 'send {"client_id": "...", "post_reads": n}')
    st = state()
    with st.lock:
        client_id = str(data.get("client_id") or st.cfg["CLIENTS"]["x"][0]["client_id"])
        if st.client("x", client_id) is None:
            return control_error(404, "not_found", f"no sandbox X client {client_id!r}")
        st.quota[_cap_key(client_id)] = reads
        return json_response(_usage(client_id))


LIMIT_ENDPOINTS = ("users/me", "users/tweets", "tweets")


@bp.get("/limits")
def get_limits() -> Response:
    st = state()
    with st.lock:
        defaults = st.cfg["X_RATE_LIMITS"]
        return json_response({"limits": {e: int(st.x_limits.get(e, defaults.get(e, 900))) for e in LIMIT_ENDPOINTS}})


@bp.put("/limits")
def put_limits() -> Response:
    data = _body()
    if not data or set(data) - set(LIMIT_ENDPOINTS):
        return control_error(400, "invalid_request", f"send limits for: {', '.join(LIMIT_ENDPOINTS)}")
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in data.values()):
        return control_error(400, "invalid_request", "a limit is a positive integer")
    st = state()
    with st.lock:
        st.x_limits.update({str(k): int(v) for k, v in data.items()})  # type: ignore[call-overload]
    return get_limits()
