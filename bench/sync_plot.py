"""Draw ``bench/sync_scale.svg``: how the daily sync's wall time grows with the number of connections.

    .venv/bin/python bench/sync_plot.py

The figures are the ones written in bench/README.md (under "sync": "Scale", "All six platforms in the
mix", "Sync CPU, second pass", "Final figures on a quiet box", "30,000 connections, run",
"Final figures after the ninth session's merges", "30,000 connections, re-run", "Final figures of the tenth
session"); edit ``MEASURED`` and ``PER_SYNC`` there
and here together. Every measured daily phase is its own series, labelled with its conditions (platforms,
workers, the box's load), because the same code ran 54.6 s on a quiet box and 85.8 s at load average
16-19. Past the measurements, the lines are the linear extrapolation of the final quiet-box run (a daily
sync's cost does not depend on how many other connections there are: each is its own calls and its own
rows) and its two physical bounds: latency-bound (a sync's calls x latency / workers, calls in sequence)
and CPU-bound (worker CPU a sync / 2 cores); and the seed's loop (one sync after another).
"""

from __future__ import annotations

from pathlib import Path

import pygal
from pygal.style import Style

OUT = Path(__file__).resolve().parent / "sync_scale.svg"
SIZES = [100, 1_000, 3_000, 10_000, 30_000]
#: (label with its conditions, connections, wall seconds) of the measured daily phases, 100 ms a call,
#: ``--no-fork`` workers, a day after the initial syncs (comments due)
MEASURED: list[tuple[str, int, float]] = [
    ("3 platforms, 8 workers, load 11-17 (2026-12-01)", 1_000, 175.5),
    ("6 platforms, 8 workers, load 2.5-0.3 (2026-12-02)", 1_000, 77.0),
    ("6 platforms, 12 workers, load up to 7.5 (2026-12-02)", 1_000, 62.3),
    ("6 platforms + Pages, 12 workers, load 16-19 (2026-12-02)", 1_000, 85.8),
    ("6 platforms + Pages, 12 workers, quiet box (2026-12-02, c99bce5)", 1_000, 54.6),
    ("30,000 (replicas), 12 workers, quiet, 2,802 YT deferred (dbce30f)", 30_000, 2559.0),
    ("pool of 12, quiet box, run 1 (2026-12-02, dbbbc9e)", 1_000, 47.7),
    ("pool of 12, quiet box, run 2 (2026-12-02, dbbbc9e)", 1_000, 57.5),
    ("30,000 (replicas), pool of 12, quiet, 3,079 YT deferred (e2fd599)", 30_000, 1382.2),
    ("final: pool of 12, quiet box, slowest of 3 runs (2026-12-02, a0e6c12)", 1_000, 47.6),
]
#: the final quiet-box run (the slowest of the three back-to-back runs of a0e6c12): wall seconds for 1,000,
#: calls a sync, worker CPU seconds a sync, workers, cores;
#: the seed's loop: seconds a sync, one after another (six platforms, 60 syncs, 2026-12-02)
PER_SYNC: dict[str, float] = {
    "wall_1000_s": 47.6,
    "calls": 5.8,
    "latency_s": 0.1,
    "cpu_s": 0.044,
    "workers": 12,
    "cores": 2,
    "seed_s": 0.582,
}


#: one colour a series (measured points first, the final one darkest), the lines after them
COLOURS = (
    "#b0b0b0", "#8da0cb", "#66c2a5", "#fc8d62", "#e7969c", "#8c564b", "#ff7f0e", "#17becf", "#bcbd22",
    "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#333333",
)  # fmt: skip


def main() -> None:
    chart = pygal.XY(
        style=Style(colors=COLOURS, background="white", plot_background="white"),
        x_labels=SIZES,
        y_labels=[0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
        title="Daily syncs: wall time by connections (100 ms a platform call)",
        x_title="connections",
        y_title="minutes",
        logarithmic=True,
        show_dots=True,
        dots_size=5,
        width=900,
        height=560,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        truncate_legend=-1,
        js=[],  # no script from a CDN in a file kept in the repository
    )
    for label, n, wall in MEASURED:
        chart.add(f"measured: {label}: {wall:g} s", [(n, wall / 60)], stroke=False)
    per = PER_SYNC
    chart.add(
        "extrapolated (linear) from the final run, 12 workers",
        [(n, n * per["wall_1000_s"] / 1_000 / 60) for n in SIZES],
        stroke_style={"dasharray": "4,4"},
        show_dots=False,
    )
    chart.add(
        f"latency bound, 12 workers ({PER_SYNC['calls']:g} calls in sequence x {PER_SYNC['latency_s']:g} s)",
        [(n, n * per["calls"] * per["latency_s"] / per["workers"] / 60) for n in SIZES],
        show_dots=False,
    )
    chart.add(
        f"CPU bound, workers alone on 2 cores ({PER_SYNC['cpu_s'] * 1000:.0f} ms a sync)",
        [(n, n * per["cpu_s"] / per["cores"] / 60) for n in SIZES],
        show_dots=False,
    )
    chart.add(
        f"the seed's loop, one sync after another ({PER_SYNC['seed_s'] * 1000:.0f} ms a sync)",
        [(n, n * per["seed_s"] / 60) for n in SIZES],
        show_dots=False,
    )
    chart.add("target: 30,000 in 30 min", [(100, 30.0), (30_000, 30.0)], show_dots=False)
    OUT.write_bytes(chart.render())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
