"""App-wide template helpers, registered in one place on the app's Jinja environment.

Every template may use these: pages and HTMX fragments of any blueprint, emails, and the report PDF
the worker renders. Before, each was registered by whichever blueprint module happened to define it
(``alerts_unread`` by the admin alert feed, the report filters by the reports blueprint), so a client
page depended on admin modules having been imported. ``register_web`` calls ``init_app`` once.

Helpers never run a query on their own behalf except ``alerts_unread()``, the nav badge, which is
lazy (a fragment that does not show the nav costs nothing) and reads through ``app.alerts.feed``.
Per-page data (sync states of connection cards, polling) is computed by the view, one query per page.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_compact_decimal
from flask import Flask, current_app
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from app.alerts import feed
from app.charts.builders import NONCE_PLACEHOLDER
from app.models.platforms import PLATFORM_NAMES
from app.reports import formatting, summary
from app.reports.pdf import HEADING_RUN, LONG_RUN, pdf_text
from app.reports.pdf_drawings import print_svg
from app.services import brand as brand_service
from app.services.connections import filter_platforms
from app.stats.rounding import about, rounding_note
from app.web.audience_labels import audience_group, audience_label
from app.web.headers import csp_nonce
from app.web.live import poller_markup
from app.web.status import queue_is_up
from app.web.times import ago, local_clock, local_date, local_time


def alerts_unread() -> int:
    """Unread alerts of the logged-in user (0 for nobody): the nav badge."""
    if not current_user.is_authenticated:
        return 0
    return feed.unread_count(current_user)


@pass_context
def report_text(ctx: Any, value: Any, longest: int = LONG_RUN) -> Markup:
    """Report text: escaped; in the PDF also routed to a font that has its characters, a run of more than
    ``longest`` characters without a space broken so it wraps (``HEADING_RUN`` for the cover's name)."""
    return pdf_text(value, longest) if ctx.get("pdf") else escape("" if value is None else value)


def svg_data_uri(svg: str) -> str:
    """A chart for the PDF, as ``pdf_drawings.print_svg`` prepares it (a stable id, no tooltips)."""
    return "data:image/svg+xml;base64," + base64.b64encode(print_svg(svg).encode()).decode()


def svg_markup(svg: str) -> Markup:
    """A pygal chart stored in a report (serialised by pygal/lxml, so platform text is escaped)."""
    return Markup(svg.replace(NONCE_PLACEHOLDER, csp_nonce()))  # noqa: S704 - pygal-serialised SVG


def compact_number(value: int | float) -> str:
    """12.3K, 302.5K, 1.2M (Babel, the locale's own abbreviations)."""
    return format_compact_decimal(value, format_type="short", locale="en", fraction_digits=1)


def report_summary(r: dict[str, Any]) -> dict[str, Any]:
    """The cover numbers and sentences of a report: stored with it, or computed for an older payload."""
    stored = r.get("summary")
    if isinstance(stored, dict) and "grew_total" in stored:
        return stored
    loc = formatting.locale_or_default(r.get("locale"))
    return summary.summarise(r, loc).as_dict(loc)


def rating_reason(r: dict[str, Any]) -> str:
    """Why a weekly (or monthly) report has its rating (the rule in words)."""
    eng = r.get("engagement") or {}
    total = r.get("total") or {}
    loc = formatting.locale_or_default(r.get("locale"))
    growth, rate, has_data = total.get("growth_rate"), eng.get("rate"), bool(r.get("has_data"))
    days = int((r.get("period") or {}).get("days") or 7)
    if r.get("rating") != summary.rating(growth, rate, has_data, days):
        days = 7  # a monthly payload stored before months were rated on their average week: its own rule
    return summary.rating_reason(growth, rate, has_data, loc, days)


def brand_logo_src(inline: bool = False) -> str:
    """The logo's address: a ``data:`` URI for the PDF (which fetches nothing, W7), else our own URL."""
    b = brand_service.current()
    if not b.has_logo:
        return ""
    if inline:
        data = brand_service.logo_png()
        return "data:image/png;base64," + base64.b64encode(data or b"").decode()
    from flask import url_for

    return url_for("site.brand_logo", v=b.logo_version, _external=False)


def brand_logo_absolute() -> str:
    """The logo's absolute URL on ``PUBLIC_BASE_URL`` (emails, Open Graph)."""
    from app.services.urls import absolute_url

    b = brand_service.current()
    return absolute_url("site.brand_logo", v=b.logo_version) if b.has_logo else ""


def brand_logo_size(height: int) -> Markup:
    """``width=".." height=".."`` for the logo at ``height`` (the PDF needs both)."""
    size = brand_service.current().logo_size or (height, height)
    width = max(1, round(size[0] * height / max(1, size[1])))
    return Markup('width="{}" height="{}"').format(width, height)


def queue_down() -> bool:
    """The honest banner when Redis is unreachable (a cached check, ``app.web.status``).

    A function the page layout calls, not a context value: a context processor would ping Redis for
    every template rendered, the report PDF and emails included (where no socket may be opened, W7).
    """
    return not queue_is_up(current_app)


def init_app(app: Flask) -> None:
    env = app.jinja_env
    env.globals.update(
        csp_nonce=csp_nonce,
        platform_names=PLATFORM_NAMES,
        filter_platforms=filter_platforms,
        alerts_unread=alerts_unread,
        queue_down=queue_down,
        about=about,
        rounding_note=rounding_note,
        ago=ago,
        local_time=local_time,
        local_clock=local_clock,
        local_date=local_date,
        now_utc=lambda: datetime.now(UTC),
        compact_number=compact_number,
        live_poller=poller_markup,
        rf=formatting,
        report_summary=report_summary,
        rating_reason=rating_reason,
        brand=brand_service.current,
        brand_logo_src=brand_logo_src,
        report_locales=brand_service.LOCALES,
        heading_run=HEADING_RUN,
        brand_logo_size=brand_logo_size,
        brand_logo_absolute=brand_logo_absolute,
        audience_label=audience_label,
        audience_group=audience_group,
    )
    env.filters.update(pt=report_text, svg_data_uri=svg_data_uri, svg_markup=svg_markup)
