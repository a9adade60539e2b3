"""Chart builders: stats results in, an escaped SVG plus its data table out.

pygal builds its SVG with lxml, so every label, title and legend from a platform (captions,
usernames) is serialised as text: ``<script>`` becomes ``&lt;script&gt;``. pygal's own tooltip
script lives on a CDN; it is switched off (``js=[]``) and ``static/js/app.js`` turns each point's
``<desc>`` into a native ``<title>`` tooltip that works offline. The chart's inline ``<style>`` gets
the request's CSP nonce when the page renders it (``Chart.markup``), so cached SVG stays valid.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pygal
from markupsafe import Markup
from pygal.style import Style

from app.stats.milestones import Milestone
from app.stats.overview import MetricPoint
from app.stats.series import GAP, Series

# pygal registers a legacy meta-path finder (for its pygal.maps plugins, unused here) that lacks
# find_spec, so every later import in the process emits an ImportWarning; drop it.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

NONCE_PLACEHOLDER = "__CSP_NONCE__"
PLATFORM_COLOURS = {
    "total": "#1f2937",
    "instagram": "#c13584",
    "tiktok": "#0f766e",
    "youtube": "#dc2626",
    "x": "#475569",
    "linkedin": "#0a66c2",
    "facebook": "#1877f2",
}
MARKER_COLOUR = "#d97706"
CARRIED_COLOUR = "#9ca3af"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class Table:
    """The chart's numbers as a table (shown behind a toggle; the accessible version of the chart)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    svg: str  # with NONCE_PLACEHOLDER in its <style> tag
    table: Table
    notes: tuple[str, ...] = field(default_factory=tuple)

    def markup(self, nonce: str) -> Markup:
        """The SVG for this response, its inline style carrying the request's CSP nonce."""
        return Markup(self.svg.replace(NONCE_PLACEHOLDER, nonce))  # noqa: S704 - pygal-serialised SVG


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="#374151",
        foreground_strong="#111827",
        foreground_subtle="#d1d5db",
        opacity=".9",
        opacity_hover="1",
        colors=tuple(colours),
        font_family=FONT,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
        tooltip_font_size=14,
        value_font_size=13,
    )


def _base(kind: type[pygal.Line] | type[pygal.Bar], title: str, colours: Sequence[str], **kw: object) -> pygal.Line:
    return kind(
        js=[],
        disable_xml_declaration=True,
        title=title,
        style=_style(colours),
        width=720,
        height=360,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        truncate_legend=30,
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_count=6,
        allow_interruptions=True,
        truncate_label=-1,
        margin=12,
        margin_bottom=30,
        spacing=12,
        dots_size=2.5,
        print_values=False,
        **kw,
    )


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_STYLE_ATTR = re.compile(r' style="[^"]*"')  # CSP blocks style attributes; pygal's tooltip box is hidden in app.css


def _render(chart: pygal.Line) -> str:
    """SVG without pygal's inline config script (CSP: no inline scripts; tooltips come from app.js)."""
    svg = _STYLE_ATTR.sub("", _SCRIPT.sub("", chart.render(is_unicode=True)))
    return svg.replace('<style type="text/css">', f'<style type="text/css" nonce="{NONCE_PLACEHOLDER}">')


def _fmt(v: float | int | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.2f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v):,}"


def growth_chart(
    chart_id: str, title: str, series: Sequence[Series], markers: Sequence[Milestone], program_start: date | None
) -> Chart:
    """Followers per day: a line per platform and the total, gaps as breaks, carried days as hollow
    grey points, program start and milestone completions as labelled markers on the total."""
    days = [p.day for p in series[0].points] if series else []
    colours = [PLATFORM_COLOURS.get(s.key, "#6b7280") for s in series] + [CARRIED_COLOUR, MARKER_COLOUR]
    chart = _base(pygal.Line, title, colours, show_dots=len(days) <= 31)
    chart.x_labels = [d.strftime("%b %-d") for d in days]
    for s in series:
        chart.add(s.label, [p.value for p in s.points], stroke_style={"width": 3 if s.key == "total" else 2})
    total = next((s for s in series if s.key == "total"), None)
    if total:
        carried = [p.value if p.provenance == "carried" else None for p in total.points]
        if any(v is not None for v in carried):
            chart.add("Carried (no sync that day)", carried, stroke=False, show_dots=True, dots_size=3)
        index = {p.day: p for p in total.points}
        marks: list[dict[str, object] | None] = [None] * len(days)
        events = [(program_start, "Program start")] + [(m.completed_on, f"{m.code} complete") for m in markers]
        for day, label in events:
            if day is not None and day in index and index[day].value is not None:
                marks[days.index(day)] = {"value": index[day].value, "label": label}
        if any(m is not None for m in marks):
            chart.add("Milestones", marks, stroke=False, show_dots=True, dots_size=7)
    cols = ("Day", *[s.label for s in series], "Provenance (total)")
    rows = (
        tuple(
            (p.day.isoformat(), *[_fmt(s.points[i].value) for s in series], total.points[i].provenance if total else "")
            for i, p in enumerate(series[0].points)
        )
        if series
        else ()
    )
    notes = []
    if total and total.gap_days:
        notes.append(f"{total.gap_days} day(s) without data are drawn as gaps.")
    if total and total.carried_days:
        notes.append(f"{total.carried_days} day(s) had no sync; the last known value is carried (grey points).")
    desc = (
        f"Followers per day from {days[0].isoformat()} to {days[-1].isoformat()}, one line per platform and the total."
        if days
        else "No follower history yet."
    )
    return Chart(chart_id, title, desc, _render(chart), Table(cols, rows), tuple(notes))


def weekly_chart(
    chart_id: str, title: str, unit: str, data: dict[str, list[MetricPoint]], names: dict[str, str]
) -> Chart:
    """A weekly metric per platform (engagement rate, reach/views or posts)."""
    keys = sorted(data)
    labels = [p.label for p in data[keys[0]]] if keys else []
    chart = _base(pygal.Line, title, [PLATFORM_COLOURS.get(k, "#6b7280") for k in keys], show_dots=True)
    chart.x_labels = labels
    for k in keys:
        chart.add(names.get(k, k), [p.value for p in data[k]])
    cols = ("Week from", *[names.get(k, k) for k in keys])
    rows = tuple((lab, *[_fmt(data[k][i].value) for k in keys]) for i, lab in enumerate(labels))
    desc = f"{unit} by week of publication, one line per platform." if keys else "No posts in this period."
    return Chart(chart_id, title, desc, _render(chart), Table(cols, rows))


def curve_chart(chart_id: str, title: str, curve: Sequence[tuple[date, int | None, int | None, int | None]]) -> Chart:
    """One post's views, likes and interactions per day of measurement."""
    chart = _base(pygal.Line, title, ["#2563eb", "#c13584", "#0f766e"], show_dots=True)
    chart.x_labels = [c[0].strftime("%b %-d") for c in curve]
    chart.add("Views", [c[1] for c in curve])
    chart.add("Likes", [c[2] for c in curve])
    chart.add("Interactions", [c[3] for c in curve])
    rows = tuple((c[0].isoformat(), _fmt(c[1]), _fmt(c[2]), _fmt(c[3])) for c in curve)
    desc = "The post's numbers on each day they were measured." if curve else "Not measured over time yet."
    return Chart(chart_id, title, desc, _render(chart), Table(("Day", "Views", "Likes", "Interactions"), rows))


def has_points(series: Sequence[Series]) -> bool:
    return any(p.value is not None and p.provenance != GAP for s in series for p in s.points)
