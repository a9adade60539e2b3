"""LinkedIn Company Pages (organizations) of the sandbox world, their lookup and the control API.

A LinkedIn member account holds the Pages it has a role on (``Account.organizations``); each is
``{"id", "name", "vanity", "role", "state", "followers_percent"}``. Without an explicit list an
``ADMINISTRATOR`` account administers one default Page (``urn:li:organization:{scoped_id}``, followers
a third of the member's) and a ``MEMBER`` none. A Page's posts are its administrator's posts.

* ``GET /rest/organizations/{id}`` (``rw_organization_admin`` / ``r_organization_admin``): id,
  ``localizedName``, ``vanityName``, ``name.localized``; 404 ``NOT_FOUND`` for an unknown id.
* Control API, under ``/_sandbox/linkedin``:

  - ``GET /accounts/<id>/organizations``: the Pages and their URNs;
  - ``PUT /accounts/<id>/organizations`` ``{"organizations": [{"name": .., "id"?: digits, "vanity"?: ..,
    "role"?: ADMINISTRATOR|ANALYST|..., "state"?: APPROVED|REVOKED, "followers_percent"?: 0..100}]}``
    (``[]``: the member administers nothing);
  - ``PATCH /accounts/<id>/organizations/<org id>`` ``{"role"?: .., "state"?: .., "audience"?: {..},
    "page_views"?: {"YYYY-MM-DD": n}}``: e.g. the role removed between two syncs (``{"state":
    "REVOKED"}``), or the Page's audience and page-view truths (``page_truths.py``; also accepted in
    each ``PUT`` spec), laid over those set before.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, request

from ..common import control_error, json_response, state
from ..world import Account
from . import page_truths
from .errors import API, LinkedInError, bp, gate, illegal

control_bp = Blueprint("sandbox_linkedin_control", __name__, url_prefix="/_sandbox/linkedin")

ADMIN_SCOPES = ("rw_organization_admin", "r_organization_admin")
ROLES = ("ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "RECRUITING_POSTER", "LEAD_GEN_FORMS_MANAGER", "ANALYST")
STATES = ("APPROVED", "REQUESTED", "REJECTED", "REVOKED")
PREFIX = "urn:li:organization:"


def urn(org: dict[str, Any]) -> str:
    return f"{PREFIX}{org['id']}"


def organizations_of(acc: Account) -> list[dict[str, Any]]:
    """Every Page this member has a role on (whatever the role and state)."""
    if acc.organizations is not None:
        return list(acc.organizations)
    if acc.account_type == "ADMINISTRATOR":
        return [
            {
                "id": acc.scoped_id,
                "name": f"{acc.display_name} Company",
                "vanity": f"{acc.username}-company".replace(".", "-").replace("_", "-"),
                "role": "ADMINISTRATOR",
                "state": "APPROVED",
                "followers_percent": None,
            }
        ]
    return []


def administered(acc: Account) -> list[dict[str, Any]]:
    """The Pages this member administers now (role ADMINISTRATOR, state APPROVED)."""
    return [o for o in organizations_of(acc) if o.get("role") == "ADMINISTRATOR" and o.get("state") == "APPROVED"]


def admin_of(acc: Account, organization: str) -> dict[str, Any] | None:
    return next((o for o in administered(acc) if urn(o) == organization), None)


def find(organization: str, first: str | None = None) -> tuple[Account, dict[str, Any]] | None:
    """The Page with this URN and the member account it belongs to (whatever its role's state);
    ``first``: the caller's account, looked at first."""
    for acc in state().platform_accounts("linkedin", first):
        for org in organizations_of(acc):
            if urn(org) == organization:
                return acc, org
    return None


def followers(acc: Account, org: dict[str, Any], d: date) -> int:
    """The Page's followers on ``d``: a share of its administrator's (a third unless set)."""
    pct = org.get("followers_percent")
    return acc.followers_on(d) * int(pct) // 100 if pct is not None else acc.followers_on(d) // 3


@bp.get(f"{API}/rest/organizations/<org_id>")
def lookup(org_id: str) -> Response:
    st = state()
    with st.lock:
        _, caller = gate("organizations", ADMIN_SCOPES)
        if not org_id.isdigit():
            raise illegal(f"Invalid organization id: {org_id}")
        found = find(f"{PREFIX}{org_id}", caller.id)
        if found is None:
            raise LinkedInError(404, "NOT_FOUND", f"Organization {org_id} not found")
        _, org = found
        body = {
            "id": int(org_id),
            "localizedName": org["name"],
            "vanityName": org.get("vanity") or "",
            "name": {"localized": {"en_US": org["name"]}, "preferredLocale": {"country": "US", "language": "en"}},
            "primaryOrganizationType": "NONE",
            "localizedWebsite": "",
        }
        return json_response(body)


# --------------------------------------------------------------------------- control API


def _account(acc_id: str) -> Account | None:
    acc = state().accounts.get(acc_id)
    return acc if acc is not None and acc.platform == "linkedin" else None


def _view(acc: Account) -> dict[str, Any]:
    return {
        "account": acc.id,
        "organizations": [
            {**o, "urn": urn(o), "audience": page_truths.audience_truth(o)} for o in organizations_of(acc)
        ],
    }


def _valid(spec: Any, i: int, acc: Account) -> dict[str, Any] | str:
    keys = {"id", "name", "vanity", "role", "state", "followers_percent", "audience", "page_views"}
    if not isinstance(spec, dict) or set(spec) - keys:
        return f"organizations[{i}] must be an object with name (and {', '.join(sorted(keys - {'name'}))})"
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 300:
        return f"organizations[{i}].name must be a non-empty string of at most 300 characters"
    org_id = str(spec.get("id") or f"{int(acc.scoped_id) + 7919 * i}")
    if not org_id.isdigit() or len(org_id) > 18:
        return f"organizations[{i}].id must be digits"
    vanity = spec.get("vanity", re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:60] or f"org-{org_id}")
    role, st = spec.get("role", "ADMINISTRATOR"), spec.get("state", "APPROVED")
    if role not in ROLES or st not in STATES:
        return f"organizations[{i}]: role is one of {', '.join(ROLES)}; state one of {', '.join(STATES)}"
    pct = spec.get("followers_percent")
    if pct is not None and (isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100):
        return f"organizations[{i}].followers_percent must be an integer 0..100"
    out = {"id": org_id, "name": name, "vanity": str(vanity), "role": role, "state": st, "followers_percent": pct}
    try:
        truths = _truths(spec)
    except ValueError as exc:
        return f"organizations[{i}].{exc}"
    return {**out, **truths}


def _truths(spec: dict[str, Any]) -> dict[str, Any]:
    """The Page truths of a control-API spec (``audience``, ``page_views``); raises ``ValueError``."""
    out: dict[str, Any] = {}
    if "audience" in spec:
        out["audience"] = page_truths.validate_audience(spec["audience"])
    if "page_views" in spec:
        out["page_views"] = page_truths.validate_page_views(spec["page_views"])
    return out


@control_bp.get("/accounts/<acc_id>/organizations")
def get_organizations(acc_id: str) -> Response:
    st = state()
    with st.lock:
        acc = _account(acc_id)
        if acc is None:
            return control_error(404, "not_found", f"no sandbox LinkedIn account {acc_id!r}")
        return json_response(_view(acc))


@control_bp.put("/accounts/<acc_id>/organizations")
def put_organizations(acc_id: str) -> Response:
    data = request.get_json(silent=True, force=True)
    specs = data.get("organizations") if isinstance(data, dict) else None
    if not isinstance(specs, list) or len(specs) > 50:
        return control_error(400, "invalid_request", 'send {"organizations": [{"name": ...}, ...]} (50 at most)')
    st = state()
    with st.lock:
        acc = _account(acc_id)
        if acc is None:
            return control_error(404, "not_found", f"no sandbox LinkedIn account {acc_id!r}")
        orgs = []
        for i, spec in enumerate(specs):
            checked = _valid(spec, i, acc)
            if isinstance(checked, str):
                return control_error(400, "invalid_request", checked)
            orgs.append(checked)
        if len({o["id"] for o in orgs}) != len(orgs):
            return control_error(400, "invalid_request", "organization ids must be distinct")
        taken = {urn(o) for a in st.platform_accounts("linkedin") if a.id != acc.id for o in organizations_of(a)}
        if any(urn(o) in taken for o in orgs):
            return control_error(409, "conflict", "an organization id is already another member's")
        acc.organizations = orgs
        st.save()
        return json_response(_view(acc))


@control_bp.patch("/accounts/<acc_id>/organizations/<org_id>")
def patch_organization(acc_id: str, org_id: str) -> Response:
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict) or not data or set(data) - {"role", "state", "audience", "page_views"}:
        return control_error(
            400, "invalid_request", 'send {"role": ...}, {"state": ...}, {"audience": {...}}, {"page_views": {...}}'
        )
    try:
        truths = _truths(data)
    except ValueError as exc:
        return control_error(400, "invalid_request", str(exc))
    if data.get("role", "ADMINISTRATOR") not in ROLES or data.get("state", "APPROVED") not in STATES:
        return control_error(400, "invalid_request", f"role: {', '.join(ROLES)}; state: {', '.join(STATES)}")
    st = state()
    with st.lock:
        acc = _account(acc_id)
        if acc is None:
            return control_error(404, "not_found", f"no sandbox LinkedIn account {acc_id!r}")
        orgs = organizations_of(acc)
        org = next((o for o in orgs if o["id"] == org_id), None)
        if org is None:
            return control_error(404, "not_found", f"account {acc_id!r} has no organization {org_id!r}")
        org.update({k: v for k, v in data.items() if k in ("role", "state")})
        if "audience" in truths:  # laid over what was set before, as an account's audience is
            org["audience"] = {**(org.get("audience") or {}), **truths["audience"]}
        if "page_views" in truths:
            org["page_views"] = {**(org.get("page_views") or {}), **truths["page_views"]}
        acc.organizations = [dict(o) for o in orgs]
        st.save()
        return json_response(_view(acc))
