"""X OAuth 2.0 Authorization Code with PKCE: authorize (consent page), token, revoke.

``x.com/i/oauth2/authorize`` (and the legacy ``twitter.com`` path) requires ``state`` and a PKCE
challenge (S256 or plain), takes space-separated scopes and serves the consent form (the same form
contract as the other sandboxes: ``account_id`` + ``decision``). The code lives ``X_CODE_TTL`` (30 s).
``api.x.com/2/oauth2/token`` authenticates the confidential client with HTTP Basic (a public client sends
``client_id`` in the form), checks the verifier, and issues a 2-hour access token plus, only with
``offline.access``, a refresh token that is **single use**: each refresh returns a new one and the old
one stops working. ``/2/oauth2/revoke`` ends the grant.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

from flask import Response, request

from ..common import consent_choice, consent_page, error_page, json_response, pkce_ok, redirect_with, state
from ..state import Token
from .errors import OAUTH_BAD_TOKEN, bp, oauth_error

SCOPES = (
    "tweet.read",
    "users.read",
    "offline.access",
    "follows.read",
    "like.read",
    "list.read",
    "tweet.write",
    "tweet.moderate.write",
    "bookmark.read",
)


@bp.route("/x.com/i/oauth2/authorize", methods=["GET", "POST"])
@bp.route("/twitter.com/i/oauth2/authorize", methods=["GET", "POST"])
def authorize() -> Response:  # noqa: C901 - X's checks, in its order
    st = state()
    args = request.args
    with st.lock:
        client = st.client("x", args.get("client_id"))
        if client is None:
            return error_page("Something went wrong", "client_id: this app is not registered (sandbox).")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Something went wrong", "redirect_uri: does not match a registered callback URL.")
        keep = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") != "code":
            return redirect_with(redirect_uri, {"error": "unsupported_response_type", **keep})
        if not args.get("state"):
            return redirect_with(redirect_uri, {"error": "invalid_request", "error_description": "state is required"})
        scopes = [s for s in (args.get("scope") or "").split(" ") if s]
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return redirect_with(redirect_uri, {"error": "invalid_scope", **keep})
        challenge = args.get("code_challenge")
        method = (args.get("code_challenge_method") or "").lower()
        if not challenge or method not in ("s256", "plain"):
            return redirect_with(
                redirect_uri,
                {"error": "invalid_request", "error_description": "PKCE code_challenge is required", **keep},
            )
        if request.method == "GET":
            accounts = [
                {
                    "id": a.id,
                    "username": a.username,
                    "display_name": a.display_name,
                    "note": "protected" if a.protected else "",
                }
                for a in st.platform_accounts("x")
            ]
            return consent_page("Authorize app to access your X account", client["client_id"], accounts, scopes)
        acc = consent_choice("x", redirect_uri, {"error": "access_denied", **keep}, "Something went wrong")
        if isinstance(acc, Response):
            return acc
        if acc.suspended:
            return error_page("Your account is suspended", "Suspended accounts cannot authorize apps.", 403)
        code = st.issue_code(
            "x",
            acc.id,
            client["client_id"],
            redirect_uri,
            scopes,
            challenge,
            "S256" if method == "s256" else "plain",
            offline="offline.access" in scopes,
        )
        st.save()
        return redirect_with(redirect_uri, {"state": args["state"], "code": code.value})


def _client_auth() -> tuple[dict[str, Any] | None, Response | None]:
    """The client: HTTP Basic for a confidential client, ``client_id`` in the form for a public one."""
    st = state()
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        client_id, _, secret = raw.partition(":")
        client = st.client("x", unquote(client_id))
        if client is None or unquote(secret) != client["client_secret"]:
            return None, oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        return client, None
    client = st.client("x", request.form.get("client_id"))
    if client is None:
        return None, oauth_error("unauthorized_client", "Missing valid authorization header", 401)
    if client.get("client_secret"):  # a confidential client must authenticate
        return None, oauth_error("unauthorized_client", "Missing valid authorization header", 401)
    return client, None


def _pair(acc_id: str, client_id: str, scopes: list[str], grant_id: str) -> dict[str, Any]:
    st = state()
    access = st.issue_token("x", "access", acc_id, client_id, scopes, st.cfg["X_ACCESS_TTL"], grant_id)
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": int(st.cfg["X_ACCESS_TTL"]),
        "access_token": access.value,
        "scope": " ".join(scopes),
    }
    if "offline.access" in scopes:
        refresh = st.issue_token("x", "refresh", acc_id, client_id, scopes, None, grant_id)
        body["refresh_token"] = refresh.value
    return body


@bp.post("/api.x.com/2/oauth2/token")
@bp.post("/api.twitter.com/2/oauth2/token")
def token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client, failed = _client_auth()
        if failed is not None or client is None:
            return failed or oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "x" or code.client_id != client["client_id"]:
                return oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
            if code.used:
                st.revoke_grant(code.grant_id)
                return oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
            if (st.now() - code.issued_at).total_seconds() > st.cfg["X_CODE_TTL"]:
                return oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
            if form.get("redirect_uri") != code.redirect_uri:
                return oauth_error(
                    "invalid_request",
                    "Value passed for the redirect uri did not match the uri of the authorization code.",
                )
            if not form.get("code_verifier") or not pkce_ok(
                code.code_challenge, code.code_challenge_method, form.get("code_verifier")
            ):
                return oauth_error(
                    "invalid_request", "Value passed for the code verifier did not match the code challenge."
                )
            code.used = True
            acc = st.accounts.get(code.account_id)
            if acc is None:
                return oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
            body = _pair(acc.id, client["client_id"], code.scopes, code.grant_id)
            st.save()
            return json_response(body)
        if grant == "refresh_token":
            old: Token | None = st.tokens.get(form.get("refresh_token") or "")
            if old is None or old.kind != "refresh" or old.platform != "x" or old.client_id != client["client_id"]:
                return oauth_error("invalid_request", OAUTH_BAD_TOKEN)
            if st.token_status(old) != "ok":
                return oauth_error("invalid_request", OAUTH_BAD_TOKEN)
            old.superseded = True  # single use: rotated away now
            body = _pair(old.account_id, old.client_id, old.scopes, old.grant_id)
            st.save()
            return json_response(body)
        return oauth_error("invalid_request", "Missing required parameter [grant_type].")


@bp.post("/api.x.com/2/oauth2/revoke")
@bp.post("/api.twitter.com/2/oauth2/revoke")
def revoke() -> Response:
    st = state()
    with st.lock:
        client, failed = _client_auth()
        if failed is not None or client is None:
            return failed or oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        tok = st.tokens.get(request.form.get("token") or "")
        if tok is not None and tok.platform == "x" and tok.client_id == client["client_id"]:
            st.revoke_grant(tok.grant_id)
            st.save()
        return json_response({"revoked": True})
