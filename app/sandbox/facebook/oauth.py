"""Facebook Login: the dialog, the code exchange, the long-lived user token and the token check.

``www.facebook.com/{v}/dialog/oauth`` serves the consent form (the same form contract as the other
platforms: ``account_id`` radio, ``scope`` checkboxes when granular, ``decision``) and redirects with
``code`` or Meta's deny parameters. ``graph.facebook.com/{v}/oauth/access_token`` trades the code for a
short-lived user token (``authorization_code``) or that for a 60-day one (``fb_exchange_token``). Errors
come in the Graph envelope, as on every ``graph.facebook.com`` path (platforms.md §1.2, §2.2).
"""

from __future__ import annotations

import re

from flask import Response, g, request

from ..common import consent_choice, consent_page, error_page, json_response, redirect_with, state
from ..instagram.oauth import token_value
from ..instagram.shared import GraphError, expired_message
from ..state import Token
from ..world import Account
from .shared import SCOPES, bp

SHORT_TTL = 5400  # about 1.5 h (platforms.md §0: "~1-2 h")
LONG_TTL = 5_183_944  # the expires_in Meta gives a 60-day token
USER_KINDS = ("fb_short", "fb_long")


def _scopes(raw: str | None) -> list[str]:
    return [s for s in re.split(r"[,\s]+", raw or "") if s]


FRAGMENT = "#_=_"  # Facebook appends it to every redirect back to the app


def _redirect(uri: str, params: dict[str, str]) -> Response:
    return redirect_with(uri, params, FRAGMENT)


def people() -> dict[str, list[Account]]:
    """Facebook users (by ``owner``) and the sandbox accounts (Pages, or a PERSON entry) each manages."""
    out: dict[str, list[Account]] = {}
    for acc in state().platform_accounts("facebook"):
        out.setdefault(acc.owner, []).append(acc)
    return out


def managed_pages(user: Account) -> list[Account]:
    """The Pages the person behind ``user`` (any of their sandbox accounts) manages, oldest first."""
    return [a for a in state().accounts.of_owner("facebook", user.owner) if a.account_type == "PAGE"]


@bp.route("/www.facebook.com/dialog/oauth", methods=["GET", "POST"])
@bp.route("/www.facebook.com/<version>/dialog/oauth", methods=["GET", "POST"])
def dialog(version: str | None = None) -> Response:
    st = state()
    args = request.args
    with st.lock:
        client = st.client("facebook", args.get("client_id"))
        if client is None:
            return error_page(
                "Invalid App ID", "Invalid App ID: The provided app ID does not look like a valid app ID."
            )
        redirect_uri = args.get("redirect_uri", "")
        if not st.redirect_allowed(client, redirect_uri):
            return error_page(
                "URL blocked",
                "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client "
                "OAuth Settings.",
            )
        if args.get("response_type", "code") != "code":
            return error_page("Invalid Request", "Unsupported response_type, must be 'code'")
        scopes = _scopes(args.get("scope"))
        bad = [s for s in scopes if s not in SCOPES]
        if bad:
            return error_page("Invalid Scopes", "Invalid Scopes: " + ", ".join(bad))
        state_param = {"state": args["state"]} if "state" in args else {}
        if request.method == "GET":
            accounts = []
            for owner, accs in people().items():
                pages = [a for a in accs if a.account_type == "PAGE"]
                note = f"manages {len(pages)} Page{'s' if len(pages) != 1 else ''}" if pages else "manages no Page"
                accounts.append({"id": accs[0].id, "username": owner, "display_name": "Facebook user", "note": note})
            return consent_page("Log in with Facebook", client["client_id"], accounts, scopes, granular=True)
        denial = {"error": "access_denied", "error_code": "200", "error_description": "Permissions error"}
        denial |= {"error_reason": "user_denied", **state_param}
        acc = consent_choice("facebook", redirect_uri, denial, "Invalid Request", FRAGMENT)
        if isinstance(acc, Response):
            return acc
        granted = scopes
        if request.form.get("granular"):
            ticked = set(request.form.getlist("scope"))
            granted = [s for s in scopes if s in ticked]
        code = st.issue_code("facebook", acc.id, client["client_id"], redirect_uri, granted, None, None)
        st.save()
        return _redirect(redirect_uri, {"code": code.value, **state_param})


def exchange() -> Response:
    """``GET /{v}/oauth/access_token``: a code for a short-lived token, or that for a long-lived one."""
    st = state()
    args = request.args
    with st.lock:
        client = st.client("facebook", args.get("client_id"))
        if client is None:
            raise GraphError("Error validating application. Invalid application ID.", 101)
        if args.get("client_secret") != client["client_secret"]:
            raise GraphError("Error validating client secret.", 1)
        if args.get("grant_type") == "fb_exchange_token":
            tok = check_token(args.get("fb_exchange_token"), USER_KINDS)
            new = st.issue_token(
                "facebook", "fb_long", tok.account_id, tok.client_id, tok.scopes, LONG_TTL, tok.grant_id
            )
            st.save()
            return json_response({"access_token": new.value, "token_type": "bearer", "expires_in": LONG_TTL})
        code = st.codes.get(args.get("code") or "")
        if code is None or code.platform != "facebook" or code.client_id != client["client_id"]:
            raise GraphError("Invalid verification code format.", 100)
        if code.used:
            raise GraphError("This authorization code has been used.", 100, 36009)
        if (st.now() - code.issued_at).total_seconds() > st.cfg["CODE_TTL"]:
            raise GraphError("This authorization code has expired.", 100, 36007)
        if args.get("redirect_uri") != code.redirect_uri:
            raise GraphError(
                "Error validating verification code. Please make sure your redirect_uri is identical to the one "
                "you used in the OAuth dialog request",
                100,
                36008,
            )
        code.used = True
        tok = st.issue_token(
            "facebook", "fb_short", code.account_id, client["client_id"], code.scopes, SHORT_TTL, code.grant_id
        )
        st.save()
        return json_response({"access_token": tok.value, "token_type": "bearer", "expires_in": SHORT_TTL})


def check_token(value: str | None, kinds: tuple[str, ...] = ("fb_short", "fb_long", "fb_page")) -> Token:
    """Validate a Facebook user or Page token; raise the Graph error a real call would get."""
    st = state()
    if not value:
        raise GraphError("An active access token must be used to query information about the current user.", 2500)
    tok = st.tokens.get(value)
    if tok is None or tok.platform != "facebook":
        raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)
    status = st.token_status(tok)
    if status == "expired":
        assert tok.expires_at is not None
        raise GraphError(expired_message(tok.expires_at, st.now()), 190, 463)
    if status == "revoked":
        raise GraphError(
            f"Error validating access token: The user has not authorized application {tok.client_id}.", 190, 458
        )
    if status != "ok":
        raise GraphError("Error validating access token: The session is invalid because the user logged out.", 190, 467)
    if tok.kind not in kinds:
        raise GraphError("(#100) The access token is not of the required type for this call", 100)
    g.meta_client = tok.client_id
    return tok


def request_token() -> Token:
    return check_token(token_value())
