"""Chart builders: stats results in, an escaped SVG plus its data table out.

pygal builds its SVG with lxml, so every label, title and legend from a platform (captions,
usernames) is serialised as text: ``<script>`` becomes ``&lt;script&gt;``. pygal's own tooltip
script lives on a CDN; it is switched off (``js=[]``) and ``static/js/app.js`` turns each point's
``<desc>`` into a native ``<title>`` tooltip that works offline. The chart's inline ``<style>`` gets
the request's CSP nonce when the page renders it (``Chart.markup``), so cached SVG stays valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from app.charts.pygal_setup import Style, pygal
from app.stats.methodology import MethodologyChange
from app.stats.milestones import Milestone
from app.stats.overview import MetricPoint
from app.stats.series import GAP, Series

NONCE_PLACEHOLDER = "__CSP_NONCE__"
PLATFORM_COLOURS = {
    "total": "#64748b",  # slate: >= 3:1 on the light page and on the dark one
    "instagram": "#c13584",
    "tiktok": "#0f766e",
    "youtube": "#dc2626",
    "x": "#475569",
    "linkedin": "#0a66c2",
    "facebook": "#1877f2",
}
MARKER_COLOUR = "#d97706"
CARRIED_COLOUR = "#6b7280"  # 4.8:1 on white (graphics need 3:1)
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


def compact(value: float | None) -> str:
    """Axis and tooltip numbers: 950, 12.3K, 160K, 1.2M (one decimal under 100 of the unit)."""
    if value is None:
        return ""
    n = float(value)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            scaled = n / size
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + unit
    return f"{n:,.1f}".removesuffix(".0") if not n.is_integer() else f"{int(n):,}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


#: print: a smaller canvas drawn across the PDF's text width (about 17 cm), so labels print at ~10 pt
PRINT_SIZE = (640, 300)
PRINT_FONT = 15


def _style(colours: Sequence[str], print_size: bool = False) -> Style:
    f = PRINT_FONT if print_size else 13
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="#374151",
        foreground_strong="#111827",
        foreground_subtle="#e5e7eb",
        guide_stroke_color="#e5e7eb",
        guide_stroke_dasharray="none",
        major_guide_stroke_color="#d1d5db",
        major_guide_stroke_dasharray="none",
        opacity=".9",
        opacity_hover="1",
        colors=tuple(colours),
        font_family=FONT,
        label_font_size=f,
        major_label_font_size=f,
        legend_font_size=f + 1,
        title_font_size=f + 3,
        tooltip_font_size=14,
        value_font_size=f,
        value_label_font_size=f,
    )


def _base(
    kind: type[pygal.Line] | type[pygal.Bar],
    title: str,
    colours: Sequence[str],
    print_size: bool = False,
    **kw: object,
) -> pygal.Line:
    width, height = PRINT_SIZE if print_size else (720, 360)
    return kind(
        js=[],
        disable_xml_declaration=True,
        title=title,
        style=_style(colours, print_size),
        width=width,
        height=height,
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
        print_labels=True,  # milestone and counting-change markers carry their name on the chart itself
        show_x_guides=False,
        **{"value_formatter": compact, **kw},
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


#: days whose total is not (only) measured, drawn as points over the total line, with their legend
ESTIMATE_MARKS: tuple[tuple[str, str, str], ...] = (
    ("backfilled", "Backfilled (estimate)", "#7c3aed"),
    ("imported", "Imported", "#0891b2"),
    ("carried", "Carried (no sync)", CARRIED_COLOUR),
)


def _range(bounds: tuple[int, int] | None) -> str:
    return "" if bounds is None else f"{bounds[0]:,}–{bounds[1]:,}"


def _overlays(
    total: Series,
    days: list[date],
    markers: Sequence[Milestone],
    program_start: date | None,
    drawn: Sequence[float | int | None] | None = None,
) -> list[tuple[str, list[object], str, float]]:
    """Point series over the total (at ``drawn``, its values as plotted): estimated days by kind, then
    program start and milestones."""
    plotted = list(drawn) if drawn is not None else [p.value for p in total.points]
    overlays: list[tuple[str, list[object], str, float]] = []
    for provenance, label, colour in ESTIMATE_MARKS:
        values = [v if p.provenance == provenance else None for p, v in zip(total.points, plotted, strict=True)]
        if any(v is not None for v in values):
            size = 3 if provenance == "carried" else (2 if len(days) <= 31 else 1.2)  # long ranges: fine dots
            overlays.append((label, list(values), colour, size))
    at = {p.day: v for p, v in zip(total.points, plotted, strict=True)}
    marks: list[object] = [None] * len(days)
    events = [(program_start, "Start")] + [(m.completed_on, m.code) for m in markers]
    for day, label in events:
        if day is not None and at.get(day) is not None:
            marks[days.index(day)] = {"value": at[day], "label": label}
    if any(m is not None for m in marks):
        overlays.append(("Milestones", marks, MARKER_COLOUR, 7))
    return overlays


def _growth_notes(total: Series | None, rounded: bool) -> tuple[str, ...]:
    notes = []
    if total and total.gap_days:
        notes.append(f"{total.gap_days} day(s) without data are drawn as gaps.")
    if total and total.carried_days:
        notes.append(f"{total.carried_days} day(s) had no sync; the last known value is carried (grey points).")
    if total and any(p.provenance in ("backfilled", "imported") for p in total.points):
        notes.append(
            "Coloured points mark estimated days: backfilled from the platform's daily gains (Instagram's are a"
            " lower bound: gains only) or imported; they never raise alerts."
        )
    if rounded:
        notes.append(
            "YouTube rounds subscriber counts down to three significant figures: values marked ≈ in the table"
            " are estimates from its exact daily gains and losses, with the range of the true count."
        )
    return tuple(notes)


def _cell(value: int | None, bounds: tuple[int, int] | None) -> str:
    return ("≈" if bounds is not None else "") + _fmt(value)


def growth_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    markers: Sequence[Milestone],
    program_start: date | None,
    *,
    print_size: bool = False,
) -> Chart:
    """Followers per day: a line per platform and the total, gaps as breaks; estimated days (backfilled,
    imported, carried) as points of their own colour and legend; program start and milestone completions
    as labelled markers on the total. Values that depend on a rounded count (YouTube) are marked ≈ in the
    data table, with the range of the true value."""
    if len(series) == 2 and any(s.key == "total" for s in series):
        series = [s for s in series if s.key != "total"]  # one platform: its total would repeat it
    days = [p.day for p in series[0].points] if series else []
    total = next((s for s in series if s.key == "total"), series[0] if len(series) == 1 else None)
    indexed = _spread_out(series)
    lines = {s.key: _index(s) if indexed else [p.value for p in s.points] for s in series}
    overlays = _overlays(total, days, markers, program_start, lines.get(total.key) if total else None) if total else []
    colours = [PLATFORM_COLOURS.get(s.key, "#6b7280") for s in series] + [o[2] for o in overlays]
    fmt = {"value_formatter": lambda v: "" if v is None else f"{v:.1f}"} if indexed else {}
    shown_title = f"{title} (indexed: first day = 100)" if indexed else title
    chart = _base(pygal.Line, shown_title, colours, print_size, show_dots=len(days) <= 31, **fmt)
    if print_size:
        chart.x_labels_major_count = 5
    chart.x_labels = [d.strftime("%b %-d") for d in days]
    for s in series:
        chart.add(s.label, lines[s.key], stroke_style={"width": 3 if s.key == "total" else 2})
    for label, values, _colour, size in overlays:
        chart.add(label, values, stroke=False, show_dots=True, dots_size=size)
    rounded = any(p.bounds is not None for s in series for p in s.points)
    scope = "total" if len(series) > 1 else series[0].label if series else "total"
    extra = (f"True range ({scope})",) if rounded else ()
    cols = ("Day", *[s.label for s in series], f"Provenance ({scope})", *extra)
    rows = tuple(
        (
            p.day.isoformat(),
            *[_cell(s.points[i].value, s.points[i].bounds) for s in series],
            total.points[i].provenance if total else "",
            *((_range(total.points[i].bounds if total else None),) if rounded else ()),
        )
        for i, p in enumerate(series[0].points if series else ())
    )
    desc = (
        f"Followers per day from {days[0].isoformat()} to {days[-1].isoformat()}, one line per platform and the total."
        if days
        else "No follower history yet."
    )
    notes = _growth_notes(total, rounded) + _marker_notes(markers, program_start, days, print_size)
    if indexed:
        notes = (
            "The platforms differ in size by ten times or more, so each line shows its growth from the first"
            " day of the period (= 100) on one scale; the table has the follower counts.",
            *notes,
        )
    return Chart(chart_id, shown_title, desc, _render(chart), Table(cols, rows), notes)


#: platforms whose sizes differ this many times are drawn indexed (a small one would lie flat at the bottom)
SCALE_SPREAD = 10


def _spread_out(series: Sequence[Series]) -> bool:
    latest = [next((p.value for p in reversed(s.points) if p.value), None) for s in series if s.key != "total"]
    known = [v for v in latest if v]
    return len(known) >= 2 and max(known) >= SCALE_SPREAD * min(known)


def _index(s: Series) -> list[float | None]:
    """The line as a growth index: its first known value of the period = 100."""
    base = next((p.value for p in s.points if p.value), None)
    return [None if p.value is None or not base else round(p.value / base * 100, 2) for p in s.points]


def _marker_notes(
    markers: Sequence[Milestone], program_start: date | None, days: Sequence[date], words: bool = False
) -> tuple[str, ...]:
    """The markers' names in words (the chart labels them by code only); ``words``: dates as "Oct 5, 2026"."""
    if not days:
        return ()

    def day(d: date) -> str:
        return f"{d:%b} {d.day}, {d.year}" if words else d.isoformat()

    shown = [f"Start: program start {day(program_start)}"] if program_start and program_start in days else []
    shown += [
        f"{m.code}: {m.title} completed {day(m.completed_on)}"
        for m in markers
        if m.completed_on is not None and m.completed_on in days
    ]
    return ("Markers: " + "; ".join(shown) + ".",) if shown else ()


def _change_marks(
    days: Sequence[date],
    values: Sequence[float | int | None],
    changes: Sequence[MethodologyChange],
    containing: bool = False,
) -> list[object]:
    """A labelled point per methodology change: on the first drawn day counted the new way, or with
    ``containing`` (weeks) on the bucket that contains the day."""
    marks: list[object] = [None] * len(days)
    for change in changes:
        later = [i for i, d in enumerate(days) if d >= change.day]
        at = later[0] if later else len(days) - 1
        if containing and days[at] > change.day and at > 0:
            at -= 1  # a week (or gap) that contains the day: mark it there
        marks[at] = {"value": values[at] if values[at] is not None else 0, "label": change.title}
    return marks


def _change_notes(changes: Sequence[MethodologyChange]) -> tuple[str, ...]:
    return tuple(f"Counting changed on {c.day.isoformat()}: {c.detail}" for c in changes)


def weekly_chart(
    chart_id: str,
    title: str,
    unit: str,
    data: dict[str, list[MetricPoint]],
    names: dict[str, str],
    changes: Sequence[MethodologyChange] = (),
    *,
    by_publication: bool = True,
) -> Chart:
    """A weekly metric per platform (engagement rate, reach/views or posts by week of publication;
    platform insights by the week they happened, ``by_publication=False``); a platform's change in how
    the metric is counted, when the weeks cross it, is a labelled marker and a note."""
    keys = sorted(data)
    labels = [p.label for p in data[keys[0]]] if keys else []
    colours = [PLATFORM_COLOURS.get(k, "#6b7280") for k in keys] + ([MARKER_COLOUR] if changes and keys else [])
    fmt = percent if "%" in unit else compact
    chart = _base(pygal.Line, title, colours, show_dots=True, value_formatter=fmt)
    # "Nov 3" on the axis like the daily charts (an ISO date did not fit: the last one was cut off);
    # the data table keeps the full date
    chart.x_labels = [_week_label(lab) for lab in labels]
    for k in keys:
        chart.add(names.get(k, k), [p.value for p in data[k]])
    if changes and keys:
        peaks = [max((data[k][i].value or 0 for k in keys), default=0) for i in range(len(labels))]
        weeks = [date.fromisoformat(lab) for lab in labels]
        marks = _change_marks(weeks, peaks, changes, containing=True)
        chart.add("Counting changed", marks, stroke=False, dots_size=7)
    cols = ("Week from", *[names.get(k, k) for k in keys])
    rows = tuple((lab, *[_fmt(data[k][i].value) for k in keys]) for i, lab in enumerate(labels))
    if by_publication:
        desc = f"{unit} by week of publication, one line per platform." if keys else "No posts in this period."
    else:
        desc = f"{unit}, by week, one line per platform." if keys else "No platform insights in this period."
    return Chart(chart_id, title, desc, _render(chart), Table(cols, rows), _change_notes(changes if keys else ()))


def _week_label(label: str) -> str:
    try:
        return date.fromisoformat(label).strftime("%b %-d")
    except ValueError:
        return label


def curve_chart(
    chart_id: str,
    title: str,
    curve: Sequence[tuple[date, int | None, int | None, int | None]],
    changes: Sequence[MethodologyChange] = (),
) -> Chart:
    """One post's views, likes and interactions per day of measurement (a counting change marked); a
    post measured once gets a sentence, not a chart of one dot."""
    if len(curve) == 1:
        day, views, likes, inter = curve[0]
        desc = (
            f"Measured once so far ({day.isoformat()}): {_fmt(views)} views, {_fmt(likes)} likes,"
            f" {_fmt(inter)} interactions. The curve appears after the next measurement."
        )
        once = ((day.isoformat(), _fmt(views), _fmt(likes), _fmt(inter)),)
        return Chart(chart_id, title, desc, "", Table(("Day", "Views", "Likes", "Interactions"), once))
    colours = ["#2563eb", "#c13584", "#0f766e"] + ([MARKER_COLOUR] if changes and curve else [])
    chart = _base(pygal.Line, title, colours, show_dots=True)
    chart.x_labels = [c[0].strftime("%b %-d") for c in curve]
    chart.add("Views", [c[1] for c in curve])
    chart.add("Likes", [c[2] for c in curve])
    chart.add("Interactions", [c[3] for c in curve])
    if changes and curve:
        marks = _change_marks([c[0] for c in curve], [c[1] for c in curve], changes)
        chart.add("Counting changed", marks, stroke=False, dots_size=7)
    rows = tuple((c[0].isoformat(), _fmt(c[1]), _fmt(c[2]), _fmt(c[3])) for c in curve)
    desc = "The post's numbers on each day they were measured." if curve else "Not measured over time yet."
    notes = _change_notes(changes if curve else ())
    return Chart(chart_id, title, desc, _render(chart), Table(("Day", "Views", "Likes", "Interactions"), rows), notes)


def has_points(series: Sequence[Series]) -> bool:
    return any(p.value is not None and p.provenance != GAP for s in series for p in s.points)


INSIGHT_SERIES = (
    ("views", "Views", "#2563eb"),
    ("reach", "Reach", "#c13584"),
    ("watch_time_minutes", "Watch time (minutes)", "#0f766e"),
    ("page_views", "Page views", "#0a66c2"),  # LinkedIn Company Pages
)


def insights_chart(
    chart_id: str,
    title: str,
    days: Sequence[Mapping[str, Any]],
    changes: Sequence[MethodologyChange] = (),
    series: Sequence[tuple[str, str, str]] = INSIGHT_SERIES,
) -> Chart:
    """Daily platform insights (by default views, reach, watch time: those the platform gives; the
    platform page's metric selector asks for one ``(key, label, colour)``), a counting change marked on
    the first day counted the new way; the numbers as a table."""
    shown = [(k, label, colour) for k, label, colour in series if any(k in d for d in days)]
    cols = ("Day", *[label for _, label, _ in (shown or series)])
    if not shown:
        return Chart(chart_id, title, "No platform insights in this period yet.", "", Table(cols, ()))
    days = [d for d in days if any(k in d for k, _, _ in shown)]
    day_list = [date.fromisoformat(str(d["day"])) for d in days]
    colours = [c for _, _, c in shown] + ([MARKER_COLOUR] if changes else [])
    chart = _base(pygal.Line, title, colours, show_dots=len(days) <= 31, value_formatter=compact)
    chart.x_labels = [d.strftime("%b %-d") for d in day_list]
    for key, label, _ in shown:
        chart.add(label, [d.get(key) for d in days])
    if changes:
        chart.add(
            "Counting changed", _change_marks(day_list, [d.get(shown[0][0]) for d in days], changes), stroke=False
        )
    rows = tuple((str(d["day"]), *[_fmt(d.get(k)) for k, _, _ in shown]) for d in days)
    desc = "What the platform reports per day (its own analytics, up to 3 days late)."
    return Chart(chart_id, title, desc, _render(chart), Table(cols, rows), _change_notes(changes))


def usage_chart(
    chart_id: str, title: str, platform: str, days: Sequence[tuple[date, int]], unit: str, limit: float | None
) -> Chart:
    """A platform's spend per window day over 30 days as bars (the daily limit, when it has one, is said
    in the description: at a few units a day against 9,500 a limit line would flatten every bar)."""
    chart = _base(pygal.Bar, title, [PLATFORM_COLOURS.get(platform, "#6b7280")])
    chart.x_labels = [d.strftime("%b %-d") for d, _ in days]
    chart.add(unit.capitalize(), [v for _, v in days])
    rows = tuple((d.isoformat(), _fmt(v)) for d, v in days)
    desc = f"{unit.capitalize()} spent by the syncs per day, the last {len(days)} days." + (
        f" The daily limit is {limit:,.0f}." if limit else ""
    )
    return Chart(chart_id, title, desc, _render(chart), Table(("Day", unit.capitalize()), rows))
