"""Google OAuth 2.0 for the YouTube scopes: consent, token, revoke, tokeninfo.

``accounts.google.com/o/oauth2/v2/auth`` (and the older ``/o/oauth2/auth``) validates the request in
Google's order and serves the granular consent form; approving redirects with ``code`` and the granted
``scope``. ``oauth2.googleapis.com/token`` handles ``authorization_code`` (with PKCE; a refresh token only
with ``access_type=offline``, and then only with ``prompt=consent`` or when the client holds no live
refresh token for the account) and ``refresh_token``; ``/revoke`` ends the whole grant; ``/tokeninfo``
describes an access token. Errors are Google's flat ``{"error", "error_description"}`` bodies or its HTML
error pages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..common import consent_choice, consent_page, error_page, json_response, pkce_ok, redirect_with, state
from .auth import KNOWN_SCOPES
from .errors import bp


@bp.route("/accounts.google.com/o/oauth2/v2/auth", methods=["GET", "POST"])
@bp.route("/accounts.google.com/o/oauth2/auth", methods=["GET", "POST"])
def authorize() -> Response:  # noqa: C901 - Google's checks, in Google's order
    st = state()
    args = request.args
    with st.lock:
        client = st.client("youtube", args.get("client_id"))
        if client is None:
            return error_page("Error 401: invalid_client", "The OAuth client was not found.", 401)
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page(
                "Error 400: redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                "policy. If you're the app developer, register the redirect URI in the Google Cloud "
                f"Console. Request details: redirect_uri={redirect_uri}",
            )
        if args.get("response_type") != "code":
            return error_page("Error 400: invalid_request", "Invalid response_type: must be code")
        scopes = [s for s in (args.get("scope") or "").split() if s]
        if not scopes:
            return error_page("Error 400: invalid_request", "Missing required parameter: scope")
        bad = [s for s in scopes if s not in KNOWN_SCOPES]
        if bad:
            return error_page("Error 400: invalid_scope", "Some requested scopes were invalid: " + " ".join(bad))
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method") or ("plain" if challenge else None)
        if challenge and method not in ("S256", "plain"):
            return error_page("Error 400: invalid_request", "Invalid code_challenge_method")
        keep = {"state": args["state"]} if "state" in args else {}
        if request.method == "GET":
            accounts = [
                {"id": a.id, "username": a.username, "display_name": a.display_name, "note": ""}
                for a in st.platform_accounts("youtube")
            ]
            return consent_page("Sign in with Google", client["client_id"], accounts, scopes, granular=True)
        acc = consent_choice("youtube", redirect_uri, {"error": "access_denied", **keep}, "Error 400: invalid_request")
        if isinstance(acc, Response):
            return acc
        granted = scopes
        if request.form.get("granular") == "1":
            chosen = set(request.form.getlist("scope"))
            granted = [s for s in scopes if s in chosen]
        if not granted:
            return redirect_with(redirect_uri, {"error": "access_denied", **keep})
        offline = args.get("access_type") == "offline"
        if offline and "consent" not in (args.get("prompt") or "").split():
            has_refresh = any(
                t.kind == "refresh"
                and t.account_id == acc.id
                and t.client_id == client["client_id"]
                and st.token_status(t) == "ok"
                for t in st.tokens.of_account(acc.id)
            )
            offline = not has_refresh
        code = st.issue_code("youtube", acc.id, client["client_id"], redirect_uri, granted, challenge, method, offline)
        st.save()
        return redirect_with(redirect_uri, {**keep, "code": code.value, "scope": " ".join(granted)})


def _client_credentials() -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


@bp.post("/oauth2.googleapis.com/token")
def token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client_id, secret = _client_credentials()
        client = st.client("youtube", client_id)
        if client is None:
            return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if secret != client["client_secret"]:
            return _oauth_error("invalid_client", "Unauthorized", 401)
        grant = form.get("grant_type")
        refresh_ttl = st.cfg["GOOGLE_TESTING_REFRESH_TTL"] if st.cfg["GOOGLE_TESTING_MODE"] else None
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "youtube" or code.client_id != client["client_id"]:
                return _oauth_error("invalid_grant", "Malformed auth code.")
            if code.used:
                return _oauth_error("invalid_grant", "Bad Request")
            if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
                return _oauth_error("invalid_grant", "Bad Request")
            if form.get("redirect_uri") != code.redirect_uri:
                return _oauth_error("redirect_uri_mismatch", "Bad Request")
            if code.code_challenge and not form.get("code_verifier"):
                return _oauth_error("invalid_grant", "Missing code verifier.")
            if not pkce_ok(code.code_challenge, code.code_challenge_method, form.get("code_verifier")):
                return _oauth_error("invalid_grant", "Invalid code verifier.")
            code.used = True
            if code.account_id not in st.accounts:
                return _oauth_error("invalid_grant", "Bad Request")
            access = st.issue_token(
                "youtube",
                "access",
                code.account_id,
                client["client_id"],
                code.scopes,
                st.cfg["GOOGLE_ACCESS_TTL"],
                code.grant_id,
            )
            payload: dict[str, Any] = {
                "access_token": access.value,
                "expires_in": int(st.cfg["GOOGLE_ACCESS_TTL"]),
            }
            if code.offline:
                refresh = st.issue_token(
                    "youtube",
                    "refresh",
                    code.account_id,
                    client["client_id"],
                    code.scopes,
                    refresh_ttl,
                    code.grant_id,
                )
                payload["refresh_token"] = refresh.value
            payload.update({"scope": " ".join(code.scopes), "token_type": "Bearer"})
            st.save()
            return json_response(payload)
        if grant == "refresh_token":
            old = st.tokens.get(form.get("refresh_token") or "")
            if old is None or old.kind != "refresh" or old.platform != "youtube":
                return _oauth_error("invalid_grant", "Bad Request")
            if old.client_id != client["client_id"]:
                return _oauth_error("unauthorized_client", "Unauthorized")
            if st.token_status(old) != "ok":
                return _oauth_error("invalid_grant", "Token has been expired or revoked.")
            access = st.issue_token(
                "youtube",
                "access",
                old.account_id,
                old.client_id,
                old.scopes,
                st.cfg["GOOGLE_ACCESS_TTL"],
                old.grant_id,
            )
            st.save()
            return json_response(
                {
                    "access_token": access.value,
                    "expires_in": int(st.cfg["GOOGLE_ACCESS_TTL"]),
                    "scope": " ".join(old.scopes),
                    "token_type": "Bearer",
                }
            )
        return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant or ''}")


@bp.route("/oauth2.googleapis.com/revoke", methods=["GET", "POST"])
def revoke() -> Response:
    st = state()
    value = request.args.get("token") or request.form.get("token") or ""
    with st.lock:
        tok = st.tokens.get(value)
        if tok is None or tok.platform != "youtube" or st.token_status(tok) != "ok":
            return _oauth_error("invalid_token", "Token expired or revoked")
        st.revoke_grant(tok.grant_id)
        st.save()
        return json_response({})


@bp.get("/oauth2.googleapis.com/tokeninfo")
def tokeninfo() -> Response:
    st = state()
    with st.lock:
        tok = st.tokens.get(request.args.get("access_token") or "")
        if tok is None or tok.platform != "youtube" or tok.kind != "access" or st.token_status(tok) != "ok":
            return _oauth_error("invalid_token", "Invalid Value")
        assert tok.expires_at is not None
        return json_response(
            {
                "azp": tok.client_id,
                "aud": tok.client_id,
                "scope": " ".join(tok.scopes),
                "exp": str(int(tok.expires_at.timestamp())),
                "expires_in": str(int((tok.expires_at - st.now()).total_seconds())),
                "access_type": "offline",
            }
        )
