"""Draw ``bench/pages_scale.svg``: how each page's cost grows with the number of clients.

    .venv/bin/python bench/pages_plot.py

The figures are the ones written in bench/README.md (issue 21: "How each page's cost grows with clients
and days", "The admin portfolio from prepared rows" and "The portfolio page keeps what it shows"); edit
them there and here together. The y axis
is the app's own CPU per request (p50, ms; SQL excluded), the figure the README calls comparable across
runs on this shared box; the uncached admin portfolio's wall time p50 is drawn too, with the 250 ms
target (a p95 target: the line is a guide, not the test).
"""

from __future__ import annotations

from pathlib import Path

import pygal

OUT = Path(__file__).resolve().parent / "pages_scale.svg"
CLIENTS = [1_000, 3_000, 10_000]
#: app CPU p50 ms per page at 1,000 / 3,000 / 10,000 clients (x 730 days), bench/README.md: "before" is the
#: scale table (issue 21, first pass), "after" the prepared rows (second pass; 10,000: the interleaved runs),
#: "page result" the third pass (1,000 / 3,000: fresh databases at load ~8; 10,000: interleaved, pass 2)
APP_CPU: dict[str, list[float | None]] = {
    "admin portfolio 30d uncached, before": [120.8, 300.1, 946.7],
    "admin portfolio 30d uncached, prepared rows": [100.3, 123.8, 358.0],
    "admin portfolio 30d result cached, before": [43.0, 72.9, 206.8],
    "admin portfolio 30d result cached, prepared rows": [32.4, 47.0, 137.0],
    "coach's portfolio (50 clients) uncached, before": [49.3, 42.3, 52.7],
    "coach's portfolio (50 clients) uncached, prepared rows": [64.5, 57.2, 69.0],
    "admin portfolio 30d uncached, page result": [54.6, 65.9, 86.0],
    "admin portfolio 30d result cached, page result": [17.4, 21.4, 19.5],
    "coach's portfolio (50 clients) uncached, inline reads": [45.9, 47.6, 38.8],
    "client overview 30d": [32.3, 48.0, 36.2],
}
#: wall p50 ms of the uncached admin portfolio (30d); load average 5-15, different per run
WALL: dict[str, list[float | None]] = {
    "admin portfolio 30d uncached, before (wall)": [435.0, 858.0, 8855.0],
    "admin portfolio 30d uncached, prepared rows (wall)": [499.0, 675.0, 1718.0],
    "admin portfolio 30d uncached, page result (wall)": [138.8, 420.4, 463.9],
}
TARGET_MS = 250.0


def main() -> None:
    chart = pygal.XY(
        title="Page cost by number of clients (730 days of history; PostgreSQL)",
        x_title="clients (3 connections each)",
        y_title="ms per request, p50 (app CPU; dashed: wall)",
        logarithmic=True,
        show_dots=True,
        width=760,
        height=460,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        truncate_legend=-1,
        js=[],  # no script from a CDN in a file kept in the repository
    )
    for name, values in {**APP_CPU, **WALL}.items():
        points = [(n, v) for n, v in zip(CLIENTS, values, strict=True) if v is not None]
        if points:
            dashed = {"dasharray": "4,4"} if name in WALL else None
            chart.add(name, points, stroke_style=dashed)
    chart.add("target: uncached portfolio p95 < 250 ms", [(CLIENTS[0], TARGET_MS), (CLIENTS[-1], TARGET_MS)])
    OUT.write_bytes(chart.render())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
