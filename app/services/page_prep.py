"""Pages prepared by the worker after a sync, so the first view after it is a cached one.

A sync changes the data version behind a client's charts and behind every portfolio that shows the
client, so the next view of each would render its charts (pygal) and recompute the portfolio (its SQL
and Python) inside a request. After a sync that saved something the worker does it instead, into the
same caches the pages read (``app.charts.cache``, ``app.stats.portfolio``), under the same keys:

* the client's charts for the default ranges: the portal overview (its default range and metric), each
  platform page of the client (followers, engagement, reach, daily insights) and the coach's client
  page (90 days: growth timeline, engagement and each platform's insights);
* the portfolio result and chart of the client's coach and of each admin, as ``/admin/portfolio``
  opens without filters.

Syncs of one client (three connections) and of one coach's clients (the 03:00 fan-out) come in bursts,
so preparations are debounced: every sync finishing within one ``PAGE_PREP_DELAY_SECONDS`` window asks
for the same job id, scheduled at the end of the window, and that one job reads the data as it then is.
A preparation that fails costs nothing but the cache miss it was meant to avoid.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, select

from app.charts import page_charts
from app.extensions import db
from app.models import Client, Connection, Role, User
from app.queueing import dispatch
from app.queueing.batch import Batch
from app.services import goals, platform_page
from app.services import portfolio as pf_service
from app.stats import query
from app.stats.overview import client_overview

log = logging.getLogger(__name__)

#: the coach's client page opens on this range (``app.web.admin.clients``)
COACH_PAGE_RANGE = "90d"
COACH_PAGE_GROWTH_TITLE = "Growth timeline"


def after_sync(connection_id: int, batch: Batch | None = None) -> int:
    """Ask for the preparations a finished sync of ``connection_id`` makes worth doing; returns how
    many were asked for (0 when the connection is gone or Redis is down). The synced connection's
    prepared portfolio row (``app.stats.portfolio_state``) is refreshed by the portfolio preparation,
    with every other row the window's syncs left stale, in one batch (not ~13 ms of CPU in each sync).
    With ``batch`` (the sync job's follow-ups) the jobs are added to it and sent with the others.

    The client, its coach and the active admins are one statement (a row per admin, or one row with no
    admin): it was two a sync."""
    rows = db.session.execute(
        select(Client.id, Client.coach_id, User.id)
        .select_from(Connection)
        .join(Client, Connection.client_id == Client.id)
        .outerjoin(User, and_(User.role == Role.ADMIN, User.is_active.is_(True)))
        .where(Connection.id == connection_id)
        .order_by(User.id)
    ).all()
    if not rows:
        return 0
    client_id, coach_id = rows[0][0], rows[0][1]
    asked = int(dispatch.enqueue_client_pages(client_id, batch))
    staff = [admin_id for _, _, admin_id in rows if admin_id is not None]
    if coach_id is not None and coach_id not in staff:
        staff.append(coach_id)
    for user_id in staff:
        asked += int(dispatch.enqueue_portfolio_pages(user_id, batch))
    return asked


def prepare_client(client_id: int) -> int:
    """Render the client's charts for the pages' default ranges into the chart cache; returns how many
    charts were looked at (each is rendered only when its current version is not cached yet)."""
    client = db.session.get(Client, client_id)
    if client is None:
        return 0
    client_goals = goals.goals_for(client)
    charts = 0
    # the portal overview as the client opens it
    q = query.parse({}, tz=client.time_zone)
    ov = client_overview(client, q, client_goals)
    page_charts.client_growth(ov)
    page_charts.client_metric(ov, ov.posts, ov.period, q.metric)
    charts += 2
    # the coach's client page
    q = query.parse({}, tz=client.time_zone, default_range=COACH_PAGE_RANGE)
    ov = client_overview(client, q, client_goals)
    page_charts.client_growth(ov, COACH_PAGE_GROWTH_TITLE)
    charts += 1
    if ov.has_data:
        page_charts.client_metric(ov, ov.posts, ov.period, "engagement")
        charts += 1
    charts += len(platform_page.coach_panels(client, ov)[1])
    for platform in dict.fromkeys(c.platform for c in ov.connections):
        charts += prepare_platform_page(client, platform)
    return charts


def prepare_platform_page(client: Client, platform: str) -> int:
    """The charts of the client's ``platform`` page as it opens (its default range): followers,
    engagement, reach and the daily insights, read through ``app.services.platform_page.read`` as
    the page reads them (same queries, same cache keys); returns how many charts were looked at."""
    q = query.parse({"platform": platform}, tz=client.time_zone)
    got = platform_page.read(client, q, platform, stop_without_data=True)
    if got.panel is None:
        return 0
    return len(platform_page.charts(got, platform))


def prepare_portfolio(user_id: int) -> bool:
    """Compute (or find cached) the portfolio ``user`` opens without filters, and render its chart;
    False for a user who has no portfolio page (gone, inactive, a client)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.role not in (Role.ADMIN, Role.COACH):
        return False
    pf_service.refresh_stale()  # rows the syncs (or a new day) left stale: computed once here, not per view
    q = pf_service.parse_query(user, {})
    pf = pf_service.portfolio_for(user, q, page=True)  # the page's result (the API computes its own)
    page_charts.portfolio_growth(pf, f"user:{user.id}")
    return True
