"""Instagram Login: the consent page, the code exchange, the long-lived token and its refresh.

``www.instagram.com/oauth/authorize`` (also under ``api.instagram.com``) serves the consent form and redirects
with ``code`` (or the deny/not-professional error) plus Instagram's trailing ``#_``;
``api.instagram.com/oauth/access_token`` trades the code for a short-lived token;
``graph.instagram.com/access_token`` exchanges it for a long-lived one and
``graph.instagram.com/refresh_access_token`` refreshes that. Also here: the scope names and
:func:`check_token`, the user-token check every Graph call makes (it raises the ``GraphError`` a real call
would get for a missing, unknown, expired or revoked token).
"""

from __future__ import annotations

import re

from flask import Response, g, request

from ..common import consent_choice, consent_page, error_page, json_response, redirect_with, state
from ..state import Token
from .shared import GraphError, bp, expired_message

SCOPES = (
    "instagram_business_basic",
    "instagram_business_manage_insights",
    "instagram_business_manage_comments",
    "instagram_business_content_publish",
    "instagram_business_manage_messages",
)
OLD_SCOPES = (
    "business_basic",
    "business_content_publish",
    "business_manage_comments",
    "business_manage_messages",
)
BASIC = "instagram_business_basic"
INSIGHTS = "instagram_business_manage_insights"


FRAGMENT = "#_"  # Instagram appends it to every redirect back to the app


def _redirect(uri: str, params: dict[str, str]) -> Response:
    return redirect_with(uri, params, FRAGMENT)


def _scopes(raw: str | None) -> list[str]:
    return [s for s in re.split(r"[,\s]+", raw or "") if s]


@bp.route("/www.instagram.com/oauth/authorize", methods=["GET", "POST"])
@bp.route("/api.instagram.com/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("instagram", args.get("client_id"))
        if client is None:
            return error_page("Invalid Request", "Invalid Request: Invalid platform app")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Invalid Request", "Invalid Request: Redirect URI does not match registered redirect URI")
        if args.get("response_type") != "code":
            return error_page("Invalid Request", "Invalid Request: Unsupported response_type, must be 'code'")
        scopes = _scopes(args.get("scope"))
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return error_page("Invalid Scopes", "Invalid Scopes: " + ", ".join(bad or ["(none)"]))
        state_param = {"state": args["state"]} if "state" in args else {}
        if request.method == "GET":
            accounts = [
                {
                    "id": a.id,
                    "username": a.username,
                    "display_name": a.display_name,
                    "note": "personal account: switch to a professional account to continue"
                    if a.account_type == "PERSONAL"
                    else "",
                }
                for a in st.platform_accounts("instagram")
            ]
            return consent_page("Log in with Instagram", client["client_id"], accounts, scopes)
        denial = {"error": "access_denied", "error_reason": "user_denied"}
        denial |= {"error_description": "The user denied your request.", **state_param}
        acc = consent_choice("instagram", redirect_uri, denial, "Invalid Request", FRAGMENT)
        if isinstance(acc, Response):
            return acc
        if acc.account_type == "PERSONAL":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_reason": "not_professional_account",
                    "error_description": "This Instagram account is not a professional (Business or Creator) account.",
                    **state_param,
                },
            )
        code = st.issue_code("instagram", acc.id, client["client_id"], redirect_uri, scopes, None, None)
        st.save()
        return _redirect(redirect_uri, {"code": code.value, **state_param})


def _ig_oauth_error(message: str, status: int = 400) -> Response:
    return json_response({"error_type": "OAuthException", "code": status, "error_message": message}, status)


@bp.post("/api.instagram.com/oauth/access_token")
def access_token() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = st.client("instagram", form.get("client_id"))
        if client is None:
            return _ig_oauth_error("Invalid platform app")
        if form.get("client_secret") != client["client_secret"]:
            return _ig_oauth_error("Error validating client secret.")
        if form.get("grant_type") != "authorization_code":
            return _ig_oauth_error("Unsupported grant_type, must be authorization_code")
        raw = (form.get("code") or "").removesuffix("#_")
        code = st.codes.get(raw)
        if code is None or code.platform != "instagram" or code.client_id != client["client_id"]:
            return _ig_oauth_error("Invalid authorization code")
        if code.used:
            return _ig_oauth_error("This authorization code has been used")
        if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
            return _ig_oauth_error("This authorization code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            return _ig_oauth_error(
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request"
            )
        code.used = True
        acc = st.accounts.get(code.account_id)
        if acc is None:
            return _ig_oauth_error("Invalid authorization code")
        tok = st.issue_token(
            "instagram",
            "ig_short",
            acc.id,
            client["client_id"],
            code.scopes,
            st.cfg["IG_SHORT_TOKEN_TTL"],
            code.grant_id,
        )
        st.save()
        payload = {
            "access_token": tok.value,
            "user_id": acc.platform_user_id,
            "permissions": ",".join(code.scopes),
        }
        if st.cfg["IG_TOKEN_RESPONSE_SHAPE"] == "wrapped":  # noqa: S105
            return json_response({"data": [payload]})
        return json_response(payload)


def token_value() -> str | None:
    value = request.args.get("access_token") or request.form.get("access_token")
    if value:
        return value
    header = request.headers.get("Authorization", "")
    for prefix in ("Bearer ", "OAuth "):
        if header.startswith(prefix):
            return header[len(prefix) :].strip()
    return None


def check_token(value: str | None) -> Token:
    """Validate an IG user token; raise the Graph error a real call would get."""
    st = state()
    if not value:
        raise GraphError("An active access token must be used to query information about the current user.", 2500)
    tok = st.tokens.get(value)
    if tok is None or tok.platform != "instagram":
        raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, 467)
    status = st.token_status(tok)
    if status == "expired":
        assert tok.expires_at is not None
        raise GraphError(expired_message(tok.expires_at, st.now()), 190, 463)
    if status == "revoked":
        raise GraphError(
            f"Error validating access token: The user has not authorized application {tok.client_id}.",
            190,
            458,
        )
    if status != "ok":
        raise GraphError("Error validating access token: The session is invalid because the user logged out.", 190, 467)
    g.meta_client = tok.client_id
    return tok


@bp.get("/graph.instagram.com/access_token")
def exchange_token() -> Response:
    st = state()
    with st.lock:
        if request.args.get("grant_type") != "ig_exchange_token":
            raise GraphError("Unsupported grant type: expected ig_exchange_token", 100)
        tok = check_token(token_value())
        client = st.client("instagram", tok.client_id)
        if client is None or request.args.get("client_secret") != client["client_secret"]:
            raise GraphError("Error validating client secret.", 1, type_="OAuthException")
        if tok.kind != "ig_short":
            raise GraphError("(#100) The access token must be a short-lived Instagram User access token", 100)
        new = st.issue_token(
            "instagram",
            "ig_long",
            tok.account_id,
            tok.client_id,
            tok.scopes,
            st.cfg["IG_LONG_TOKEN_TTL"],
            tok.grant_id,
        )
        st.save()
        return json_response(
            {
                "access_token": new.value,
                "token_type": "bearer",
                "expires_in": int(st.cfg["IG_LONG_TOKEN_TTL"]),
            }
        )


@bp.get("/graph.instagram.com/refresh_access_token")
def refresh_token() -> Response:
    st = state()
    with st.lock:
        if request.args.get("grant_type") != "ig_refresh_token":
            raise GraphError("Unsupported grant type: expected ig_refresh_token", 100)
        tok = check_token(token_value())
        if tok.kind != "ig_long":
            raise GraphError("(#100) Only long-lived Instagram User access tokens can be refreshed", 100)
        age = (st.now() - tok.issued_at).total_seconds()
        if age < st.cfg["IG_REFRESH_MIN_AGE"]:
            raise GraphError("(#100) The access token must be at least 24 hours old to be refreshed", 100)
        new = st.issue_token(
            "instagram",
            "ig_long",
            tok.account_id,
            tok.client_id,
            tok.scopes,
            st.cfg["IG_LONG_TOKEN_TTL"],
            tok.grant_id,
        )
        st.save()
        return json_response(
            {
                "access_token": new.value,
                "token_type": "bearer",
                "expires_in": int(st.cfg["IG_LONG_TOKEN_TTL"]),
            }
        )
