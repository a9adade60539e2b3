"""TikTok Login Kit v2: authorize (consent page), token (code and refresh grants), revoke.

``www.tiktok.com/v2/auth/authorize/`` validates ``client_key``, redirect URI, scopes and PKCE (S256 only)
and serves the consent form; approving redirects with ``code`` and ``scopes``.
``open.tiktokapis.com/v2/oauth/token/`` trades a code (a reused code revokes the grant) or rotates a
refresh token (the old one is superseded); ``/v2/oauth/revoke/`` ends the grant.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from ..common import consent_page, error_page, json_response, pkce_ok, redirect_to, state
from ..state import Token
from ..world import Account
from . import business
from .errors import bp, oauth_error

SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")


def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect_to(uri + sep + urlencode(params))


@bp.route("/www.tiktok.com/v2/auth/authorize/", methods=["GET", "POST"])
def authorize() -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("tiktok", args.get("client_key"))
        if client is None and business.is_business_client(args.get("client_key")):
            return business.consent()  # a Business app's creator authorization (``business.py``)
        if client is None:
            return error_page("Something went wrong", "client_key: this app is not registered (sandbox).")
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page("Something went wrong", "redirect_uri: does not match a registered redirect URI.")
        keep = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") != "code":
            return _redirect(
                redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "response_type must be code",
                    **keep,
                },
            )
        scopes = [s for s in (args.get("scope") or "").split(",") if s]
        bad = [s for s in scopes if s not in SCOPES]
        if not scopes or bad:
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "error_description": "Invalid scope: " + ",".join(bad or ["(none)"]),
                    **keep,
                },
            )
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if challenge and (method or "").upper() != "S256":
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "code_challenge_method must be S256",
                    **keep,
                },
            )
        if request.method == "GET":
            accounts = [
                {"id": a.id, "username": a.username, "display_name": a.display_name, "note": ""}
                for a in st.platform_accounts("tiktok")
            ]
            return consent_page("Log in to TikTok", client["client_id"], accounts, scopes)
        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied the authorization request.",
                    **keep,
                },
            )
        if decision != "approve":
            return error_page("Something went wrong", "decision must be approve or deny")
        acc = st.accounts.get(request.form.get("account_id", ""))
        if acc is None or acc.platform != "tiktok":
            return error_page("Something went wrong", "Unknown account_id")
        code = st.issue_code(
            "tiktok",
            acc.id,
            client["client_id"],
            redirect_uri,
            scopes,
            challenge,
            "S256" if challenge else None,
        )
        st.save()
        return _redirect(redirect_uri, {"code": code.value, "scopes": ",".join(scopes), **keep})


def _token_payload(access: Token, refresh: Token, acc: Account) -> dict[str, Any]:
    st = state()
    assert refresh.expires_at is not None
    assert access.expires_at is not None
    return {
        "access_token": access.value,
        "expires_in": int((access.expires_at - st.now()).total_seconds()),
        "open_id": acc.platform_user_id,
        "refresh_expires_in": int((refresh.expires_at - st.now()).total_seconds()),
        "refresh_token": refresh.value,
        "scope": ",".join(access.scopes),
        "token_type": "Bearer",
    }


@bp.post("/open.tiktokapis.com/v2/oauth/token/")
def token() -> Response:  # noqa: C901 - the OAuth checks read best in order
    st = state()
    form = request.form
    with st.lock:
        client = st.client("tiktok", form.get("client_key"))
        if client is None or form.get("client_secret") != client["client_secret"]:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = st.codes.get(form.get("code") or "")
            if code is None or code.platform != "tiktok" or code.client_id != client["client_id"]:
                return oauth_error("invalid_grant", "Authorization code is invalid.")
            if code.used:
                st.revoke_grant(code.grant_id)
                return oauth_error("invalid_grant", "Authorization code has been used.")
            if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
                return oauth_error("invalid_grant", "Authorization code is expired.")
            if form.get("redirect_uri") != code.redirect_uri:
                return oauth_error("invalid_request", "redirect_uri does not match the authorization request.")
            if not pkce_ok(code.code_challenge, code.code_challenge_method, form.get("code_verifier")):
                return oauth_error("invalid_grant", "Code verifier or code challenge is invalid.")
            code.used = True
            acc = st.accounts.get(code.account_id)
            if acc is None:
                return oauth_error("invalid_grant", "Authorization code is invalid.")
            access = st.issue_token(
                "tiktok",
                "access",
                acc.id,
                client["client_id"],
                code.scopes,
                st.cfg["TIKTOK_ACCESS_TTL"],
                code.grant_id,
            )
            refresh = st.issue_token(
                "tiktok",
                "refresh",
                acc.id,
                client["client_id"],
                code.scopes,
                st.cfg["TIKTOK_REFRESH_TTL"],
                code.grant_id,
            )
            st.save()
            return json_response(_token_payload(access, refresh, acc))
        if grant == "refresh_token":
            old = st.tokens.get(form.get("refresh_token") or "")
            if old is None or old.kind != "refresh" or old.platform != "tiktok" or old.client_id != client["client_id"]:
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            status = st.token_status(old)
            if status != "ok":
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            acc = st.accounts[old.account_id]
            old.superseded = True
            access = st.issue_token(
                "tiktok",
                "access",
                acc.id,
                old.client_id,
                old.scopes,
                st.cfg["TIKTOK_ACCESS_TTL"],
                old.grant_id,
            )
            refresh = st.issue_token(
                "tiktok",
                "refresh",
                acc.id,
                old.client_id,
                old.scopes,
                st.cfg["TIKTOK_REFRESH_TTL"],
                old.grant_id,
            )
            st.save()
            return json_response(_token_payload(access, refresh, acc))
        return oauth_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")


@bp.post("/open.tiktokapis.com/v2/oauth/revoke/")
def revoke() -> Response:
    st = state()
    form = request.form
    with st.lock:
        client = st.client("tiktok", form.get("client_key"))
        if client is None or form.get("client_secret") != client["client_secret"]:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        tok = st.tokens.get(form.get("token") or "")
        if tok is None or tok.platform != "tiktok" or tok.client_id != client["client_id"]:
            return oauth_error("invalid_request", "The token is invalid.")
        st.revoke_grant(tok.grant_id)
        st.save()
        return json_response({})
