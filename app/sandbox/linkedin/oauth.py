"""LinkedIn's 3-legged OAuth: authorization (consent page), accessToken, introspectToken, revoke.

* ``www.linkedin.com/oauth/v2/authorization``: ``client_id``, ``redirect_uri``, ``response_type=code``,
  ``state`` and space-separated ``scope``; the consent form keeps the sandbox's contract
  (``account_id``, ``decision``).
* ``/oauth/v2/accessToken``: the code grant gives a 60-day access token and, for apps approved for
  programmatic refresh, a refresh token whose life is **fixed at 365 days from the first
  authorization**: a refresh mints a new 60-day access token, returns the same refresh token, and the
  remaining ``refresh_token_expires_in`` keeps counting down.
* ``/oauth/v2/introspectToken``: ``status`` ``active`` | ``expired`` | ``revoked``.
* ``/oauth/v2/revoke``: ends the grant (200, empty body).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..common import consent_choice, consent_page, error_page, json_response, redirect_with, state
from ..state import Token
from .errors import bp, oauth_error

SCOPES = (
    "openid",
    "profile",
    "email",
    "r_member_postAnalytics",
    "r_member_profileAnalytics",
    "r_member_social",
    "w_member_social",
    "r_organization_social",
    "r_organization_social_feed",
    "w_organization_social",
    "rw_organization_admin",
    "r_organization_admin",
)
BAD_GRANT = "The provided authorization grant or refresh token is invalid, expired or revoked."
BAD_CODE = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. "
    "Or authorization code expired."
)


@bp.route("/www.linkedin.com/oauth/v2/authorization", methods=["GET", "POST"])
def authorize() -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("linkedin", args.get("client_id"))
        if client is None:
            return error_page("Bummer, something went wrong.", "The passed in client_id is invalid.")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page(
                "Bummer, something went wrong.",
                "The redirect_uri does not match the registered value",
            )
        keep = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") != "code":
            return redirect_with(
                redirect_uri,
                {"error": "invalid_request", "error_description": "response_type must be code", **keep},
            )
        scopes = [s for s in (args.get("scope") or "").split(" ") if s]
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return redirect_with(
                redirect_uri,
                {
                    "error": "unauthorized_scope_error",
                    "error_description": f'Scope "{(bad or ["(none)"])[0]}" is not authorized for your application',
                    **keep,
                },
            )
        if request.method == "GET":
            accounts = [
                {
                    "id": a.id,
                    "username": a.username,
                    "display_name": a.display_name,
                    "note": "Company Page administrator" if a.account_type == "ADMINISTRATOR" else "",
                }
                for a in st.platform_accounts("linkedin")
            ]
            return consent_page("Sign in with LinkedIn", client["client_id"], accounts, scopes)
        denial = {"error": "user_cancelled_authorize", "error_description": "The user cancelled the authorization"}
        acc = consent_choice("linkedin", redirect_uri, {**denial, **keep}, "Bummer, something went wrong.")
        if isinstance(acc, Response):
            return acc
        code = st.issue_code("linkedin", acc.id, client["client_id"], redirect_uri, scopes, None, None)
        st.save()
        return redirect_with(redirect_uri, {"code": code.value, **keep})


def _payload(access: Token, refresh: Token | None) -> dict[str, Any]:
    st = state()
    assert access.expires_at is not None
    body: dict[str, Any] = {
        "access_token": access.value,
        "expires_in": int((access.expires_at - st.now()).total_seconds()),
    }
    if refresh is not None and refresh.expires_at is not None:
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = max(0, int((refresh.expires_at - st.now()).total_seconds()))
    body["scope"] = ",".join(access.scopes)
    body["token_type"] = "Bearer"  # noqa: S105 - a token type name
    return body


def _client_ok(form: Any) -> dict[str, Any] | None:
    client = state().client("linkedin", form.get("client_id"))
    if client is None or form.get("client_secret") != client["client_secret"]:
        return None
    return client


@bp.post("/www.linkedin.com/oauth/v2/accessToken")
def access_token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client = _client_ok(form)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "linkedin" or code.client_id != client["client_id"] or code.used:
                return oauth_error("invalid_request", BAD_CODE)
            if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
                return oauth_error("invalid_request", BAD_CODE)
            if form.get("redirect_uri") != code.redirect_uri:
                return oauth_error("invalid_request", BAD_CODE)
            acc = st.accounts.get(code.account_id)
            if acc is None:
                return oauth_error("invalid_request", BAD_CODE)
            code.used = True
            access = st.issue_token(
                "linkedin", "access", acc.id, client["client_id"], code.scopes, st.cfg["LI_ACCESS_TTL"], code.grant_id
            )
            refresh = None
            if client.get("programmatic_refresh"):
                refresh = st.issue_token(
                    "linkedin",
                    "refresh",
                    acc.id,
                    client["client_id"],
                    code.scopes,
                    st.cfg["LI_REFRESH_TTL"],
                    code.grant_id,
                )
            st.save()
            return json_response(_payload(access, refresh))
        if grant == "refresh_token":
            if not client.get("programmatic_refresh"):
                return oauth_error("invalid_request", "This application is not allowed to use refresh tokens")
            old = st.tokens.get(form.get("refresh_token") or "")
            if (
                old is None
                or old.kind != "refresh"
                or old.platform != "linkedin"
                or old.client_id != client["client_id"]
            ):
                return oauth_error("invalid_request", BAD_GRANT)
            if st.token_status(old) != "ok":
                return oauth_error("invalid_request", BAD_GRANT)
            access = st.issue_token(
                "linkedin", "access", old.account_id, old.client_id, old.scopes, st.cfg["LI_ACCESS_TTL"], old.grant_id
            )
            st.save()
            return json_response(_payload(access, old))  # the same refresh token, its TTL not reset
        return oauth_error("invalid_request", "grant_type must be authorization_code or refresh_token")


@bp.post("/www.linkedin.com/oauth/v2/introspectToken")
def introspect() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = _client_ok(form)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        tok = st.tokens.get(form.get("token") or "")
        if tok is None or tok.platform != "linkedin" or tok.client_id != client["client_id"]:
            return json_response({"active": False})
        status = {"ok": "active", "expired": "expired", "revoked": "revoked"}.get(st.token_status(tok), "revoked")
        body: dict[str, Any] = {
            "active": status == "active",
            "client_id": tok.client_id,
            "authorized_at": int(tok.issued_at.timestamp()),
            "created_at": int(tok.issued_at.timestamp()),
            "status": status,
            "scope": ",".join(tok.scopes),
            "auth_type": "3L",
        }
        if tok.expires_at is not None:
            body["expires_at"] = int(tok.expires_at.timestamp())
        return json_response(body)


@bp.post("/www.linkedin.com/oauth/v2/revoke")
def revoke() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = _client_ok(form)
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        tok = st.tokens.get(form.get("token") or "")
        if tok is not None and tok.platform == "linkedin" and tok.client_id == client["client_id"]:
            st.revoke_grant(tok.grant_id)
            st.save()
        return Response("", status=200)
