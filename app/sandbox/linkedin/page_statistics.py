"""A Company Page's views and the standardized-data names its follower facets are given by.

* ``/rest/organizationPageStatistics?q=organization&organization=<urn>`` (``rw_organization_admin``,
  the ADMINISTRATOR role): with ``timeIntervals`` one element per DAY (``timeRange``,
  ``totalPageStatistics.views``: ``allPageViews``, ``allDesktopPageViews``, ``allMobilePageViews``,
  ``overviewPageViews``, each ``{"pageViews": n}``), kept 12 months like the share statistics (the
  reference gives no limit for page statistics: unconfirmed); without it one lifetime element over the
  same 12 months. Start/count paging envelope, versioned headers as every ``/rest`` call.
* ``/v2/geo?ids=List(..)`` and ``/v2/industryTaxonomyVersions/DEFAULT/industries?ids=List(..)``
  (standardized data, not versioned; any granted token): Rest.li BATCH_GET answers ``{"results",
  "statuses", "errors"}``; an id the sandbox does not know is a 404 in ``errors``, not a failure of
  the call. Geo: ``defaultLocalizedName.value``; industries: ``name.localized.en_US``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response

from ..common import json_response, state
from ..util import unit
from . import orgs, page_truths
from .errors import API, bp, gate, illegal
from .member import param, require_admin
from .organization import KEPT_DAYS, _days, _range

MAX_IDS = 100


@bp.get(f"{API}/rest/organizationPageStatistics")
def page_statistics() -> Response:
    st = state()
    with st.lock:
        _, acc = gate("organizationPageStatistics", ("rw_organization_admin",))
        if param("q") != "organization":
            raise illegal("q must be organization")
        org_urn = param("organization")
        if not isinstance(org_urn, str):
            raise illegal("organization must be an organization URN")
        require_admin(acc, org_urn, "organizationPageStatistics")
        org = orgs.admin_of(acc, org_urn) or {}
        days = _days(KEPT_DAYS)
        today = st.today()

        def views(d: Any) -> int:
            return page_truths.page_views(org, orgs.followers(acc, org, d), d)

        def stats(n: int, salt: str) -> dict[str, Any]:
            mobile = int(n * (0.55 + 0.1 * unit(org.get("id"), "li-pv-split", salt)))
            return {
                "views": {
                    "allPageViews": {"pageViews": n},
                    "allDesktopPageViews": {"pageViews": n - mobile},
                    "allMobilePageViews": {"pageViews": mobile},
                    "overviewPageViews": {"pageViews": n * 6 // 10},
                },
                "clicks": {},
            }

        if days is None:
            kept = [today - timedelta(days=i) for i in range(1, KEPT_DAYS + 1)]
            elements = [{"organization": org_urn, "totalPageStatistics": stats(sum(views(d) for d in kept), "all")}]
        else:
            elements = [
                {"organization": org_urn, "timeRange": _range(d), "totalPageStatistics": stats(views(d), d.isoformat())}
                for d in days
            ]
        return json_response({"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements})


def _ids() -> list[str]:
    value = param("ids")
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise illegal(f"ids must be List(<id>,...) of 1 to {MAX_IDS} ids")
    return [str(v) for v in value]


def _batch(found: dict[str, dict[str, Any]], ids: list[str], what: str) -> Response:
    results = {i: found[i] for i in ids if i in found}
    errors = {i: {"status": 404, "message": f"{what} {i} not found"} for i in ids if i not in found}
    statuses = {i: 200 if i in found else 404 for i in ids}
    return json_response({"results": results, "statuses": statuses, "errors": errors})


@bp.get(f"{API}/v2/geo")
def geo() -> Response:
    st = state()
    with st.lock:
        gate("geo", (), versioned=False)
        names = {gid: name for gid, name in page_truths.GEO_COUNTRIES.values()}
        names.update(page_truths.GEO_REGIONS)
        found = {
            gid: {"id": int(gid), "defaultLocalizedName": {"locale": {"country": "US", "language": "en"}, "value": n}}
            for gid, n in names.items()
        }
        return _batch(found, _ids(), "Geo")


@bp.get(f"{API}/v2/industryTaxonomyVersions/<version>/industries")
def industries(version: str) -> Response:
    st = state()
    with st.lock:
        gate("industryTaxonomyVersions", (), versioned=False)
        if version not in ("DEFAULT", "V2_7", "V2_6", "V2_5"):
            raise illegal(f"Unknown industry taxonomy version {version}")
        names = dict(page_truths.INDUSTRIES)
        for owner in st.platform_accounts("linkedin"):
            for org in orgs.organizations_of(owner):
                names.update((org.get("audience") or {}).get("industry_names") or {})
        found = {
            iid: {"id": int(iid), "$URN": f"urn:li:industry:{iid}", "name": {"localized": {"en_US": n}}}
            for iid, n in names.items()
        }
        return _batch(found, _ids(), "Industry")
