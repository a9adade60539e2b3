"""The portfolio as one user may see it: the query rules that depend on who asks.

The CRM page (``/admin/portfolio``) and the JSON API (``/api/admin/social/portfolio``, ``/leaderboard``)
parse the same query and apply the same rule (only admins filter by coach) through here, so the rule
is written once; the numbers come from ``app.stats.portfolio`` for the clients the user may see.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.models import User
from app.services.clients import may_filter_by_coach, visible_clients
from app.stats import attention as stats_attention
from app.stats import portfolio as pf_stats
from app.stats import portfolio_state
from app.stats.query import BadQuery, StatsQuery, parse

FILTERS = ("size", "coach")


def parse_query(user: User, args: Mapping[str, str]) -> StatsQuery:
    """The portfolio's ``StatsQuery`` (range, platform, metric, size band, coach).

    :raises BadQuery: a malformed value, or a coach filter from someone who may not filter by coach.
    """
    query = parse(args, scope="portfolio", extra=FILTERS)
    if query.filter("coach") and not may_filter_by_coach(user):
        raise BadQuery("Only admins can filter by coach.")
    return query


def portfolio_for(user: User, query: StatsQuery, *, page: bool = False) -> pf_stats.Portfolio:
    """Every number of the portfolio for the clients ``user`` may see (cached, see ``stats.portfolio``);
    ``page``: what the CRM page shows (its leaderboard rows and needs-attention rows), not the API's lists.

    :raises BadQuery: an unknown size band or a malformed coach filter.
    """
    return pf_stats.portfolio(visible_clients(user), query, page=page)


def attention_of(user: User, query: StatsQuery, client_ids: list[int]) -> dict[int, pf_stats.Attention]:
    """Needs attention of a few of the clients ``user`` may see (a page result's ``attention_rest``)."""
    return stats_attention.attention_of(visible_clients(user), query, client_ids)


def refresh_stale() -> int:
    """Prepare every stale portfolio row for today (``app.stats.portfolio_state``): before a portfolio
    preparation (so after the syncs of its window) and by the cron job just after midnight UTC."""
    return portfolio_state.refresh_stale()
