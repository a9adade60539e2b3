"""CRM: the portfolio (totals, average growth, top platform, leaderboard, needs attention, aggregate
chart) and the cohort view, for the clients the user may see."""

from __future__ import annotations

import functools
from typing import Any

from flask import Response, request
from flask_login import current_user

from app.charts import page_charts
from app.services import clients, live
from app.services import portfolio as pf_service
from app.stats import attention
from app.stats import cohorts as stats_cohorts
from app.stats import portfolio as pf_stats
from app.stats import query as stats_query
from app.web.admin import bp
from app.web.htmx import render


def _choices() -> dict[str, Any]:
    return {
        "ranges": list(stats_query.RANGES),
        "metrics": stats_query.METRICS,
        "sizes": pf_stats.SIZE_LABELS,
        "coaches": clients.coach_filter_choices(current_user),
    }


@bp.get("/portfolio")
def portfolio() -> Response:
    """The whole portfolio; filters swap the body block and push the URL."""
    try:
        q = pf_service.parse_query(current_user, request.args)
        pf = pf_service.portfolio_for(current_user, q, page=True)
    except stats_query.BadQuery as exc:
        return render("admin/portfolio.html", "body", q=None, pf=None, error=exc.message, status=400, **_choices())
    chart = page_charts.portfolio_growth(pf, f"user:{current_user.id}")
    poll = live.poller(None)  # any client's sync changes the portfolio
    # the coach's snoozes and resolutions; a client past the page result's rows is read if a note needs it
    more = functools.partial(pf_service.attention_of, current_user, q)
    notes = attention.for_page(pf.attention, q.today, rest=pf.attention_rest, more=more)
    return render(
        "admin/portfolio.html", "body", q=q, pf=pf, attention=notes, chart=chart, error=None, live=poll, **_choices()
    )


@bp.get("/cohorts")
def cohorts() -> Response:
    """Clients aligned by weeks since program start, grouped by start month."""
    try:
        q = stats_query.parse(request.args, scope="portfolio")
    except stats_query.BadQuery as exc:
        return render("admin/cohorts.html", "body", rows=[], q=None, error=exc.message, status=400, **_choices())
    rows = stats_cohorts.cohorts(clients.visible_clients(current_user), q)
    return render("admin/cohorts.html", "body", rows=rows, q=q, error=None, **_choices())
