"""Meta's rate limiting as a client sees it, and injected faults in Meta's formats.

* ``add_usage_headers``: the ``X-App-Usage``, ``X-Business-Use-Case-Usage`` and ``facebook-api-version``
  headers the app's ``after_request`` puts on every ``graph.instagram.com`` answer.
* ``throttle``: the app-level hourly and per-account (BUC) daily call windows; over either, the Graph
  error ``#4`` / ``#80002``.
* ``fault_response``: a fault injected through the control API, rendered as Instagram would answer it
  (the OAuth host's flat error body, or the Graph envelope).
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

from flask import Response, g

from ..common import json_response, state
from ..state import Token
from ..world import Account
from .oauth import token_value
from .shared import GraphError, expired_message, graph_error_response


def _usage(count: int, limit: int) -> int:
    return min(100, int(math.ceil(100 * count / max(limit, 1)))) if count else 0


def add_usage_headers(response: Response) -> None:
    st = state()
    with st.lock:
        client = getattr(g, "meta_client", None) or "anonymous"
        app_count = st.window_count(f"meta_app|{client}", 3600)
        pct = _usage(app_count, int(st.cfg["META_APP_HOURLY_LIMIT"]))
        response.headers["X-App-Usage"] = json.dumps(
            {"call_count": pct, "total_cputime": pct * 2 // 5, "total_time": pct * 3 // 5},
            separators=(",", ":"),
        )
        account: Account | None = getattr(g, "meta_account", None)
        buc: dict[str, Any] = {}
        if account is not None:
            key = f"meta_buc|{account.platform_user_id}"
            count = st.window_count(key, 86400)
            bpct = _usage(count, int(st.cfg["META_BUC_DAILY_LIMIT"]))
            regain = 0
            if bpct >= 100:
                dq = st.windows.get(key)
                if dq:
                    regain = max(1, int(math.ceil((dq[0] + 86400 - st.now().timestamp()) / 60)))
            forced = getattr(g, "meta_regain", None)
            if forced is not None:
                regain = forced
                bpct = 100
            buc[account.platform_user_id] = [
                {
                    "type": getattr(g, "meta_buc_type", None) or "instagram",  # Facebook Pages: "pages"
                    "call_count": bpct,
                    "total_cputime": bpct * 2 // 5,
                    "total_time": bpct * 3 // 5,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(buc, separators=(",", ":"))
        version = getattr(g, "meta_version", None)
        if version:
            response.headers["facebook-api-version"] = version


def throttle(tok: Token, acc: Account) -> None:
    st = state()
    _, app_ok = st.window_hit(f"meta_app|{tok.client_id}", 3600, int(st.cfg["META_APP_HOURLY_LIMIT"]))
    if not app_ok:
        raise GraphError("(#4) Application request limit reached", 4, transient=True)
    _, buc_ok = st.window_hit(f"meta_buc|{acc.platform_user_id}", 86400, int(st.cfg["META_BUC_DAILY_LIMIT"]))
    if not buc_ok:
        raise GraphError(
            "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
            80002,
            transient=True,
        )


def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    st = state()
    if path.startswith("/api.instagram.com/"):
        status, msg = {
            "server_error": (500, "Oops, an error occurred."),
            "rate_limited": (429, "Too many requests"),
            "quota_exceeded": (429, "Too many requests"),
        }.get(kind, (400, "Invalid authorization code"))
        if kind == "malformed":
            return Response('{"access_token": "IGAA', status=200, mimetype="application/json")
        return json_response({"error_type": "OAuthException", "code": status, "error_message": msg}, status)
    retry = fault.get("retry_after")
    if retry is not None:
        g.meta_regain = max(1, int(math.ceil(retry / 60)))
    errors = {
        "rate_limited": GraphError("(#4) Application request limit reached", 4, transient=True),
        "quota_exceeded": GraphError(
            "(#80002) There have been too many calls to this Instagram account. "
            "Wait a bit and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            80002,
            transient=True,
        ),
        "server_error": GraphError(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=500,
            transient=True,
        ),
        "token_expired": GraphError(expired_message(st.now() - timedelta(hours=1), st.now()), 190, 463),
        "token_revoked": GraphError(
            "Error validating access token: The user has not authorized application sandbox-ig-app.", 190, 458
        ),
    }
    if kind == "malformed":
        return Response('{"data":[{"id":"1790000', status=200, mimetype="application/json")
    if kind in ("rate_limited", "quota_exceeded"):
        acc = _account_from_request_token()
        if acc is not None:
            g.meta_account = acc
            g.meta_regain = g.get("meta_regain") or 60
    with st.lock:
        return graph_error_response(errors[kind])


def _account_from_request_token() -> Account | None:
    st = state()
    with st.lock:
        tok = st.tokens.get(token_value() or "")
        return st.accounts.get(tok.account_id) if tok else None
