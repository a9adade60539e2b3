"""Draw ``bench/sync_scale.svg``: how the daily sync's wall time grows with the number of connections.

    .venv/bin/python bench/sync_plot.py

The figures are the ones written in bench/README.md ("Scale: sync", issue 21); edit ``MEASURED`` and
``PER_SYNC`` there and here together. Measured points are drawn as such; everything past them is the
linear extrapolation the table labels as one (a daily sync's cost does not depend on how many other
connections there are: each is its own calls and its own rows), and the two physical bounds:
latency-bound (sequential depth of a sync's calls x latency / workers) and CPU-bound (CPU per sync /
2 cores).
"""

from __future__ import annotations

from pathlib import Path

import pygal

OUT = Path(__file__).resolve().parent / "sync_scale.svg"
SIZES = [100, 1_000, 3_000, 10_000, 30_000]
#: (connections, wall seconds) of measured daily phases, 8 --no-fork workers, 100 ms per call
MEASURED = [(1_000, 175.5)]
#: per daily sync: wall seconds it holds a worker, CPU seconds (worker + PostgreSQL + Redis), workers
PER_SYNC: dict[str, float] = {"hold_s": 1.40, "cpu_s": 0.102, "workers": 8, "cores": 2, "seed_s": 0.848}


def main() -> None:
    chart = pygal.XY(
        title="Daily syncs: wall time by connections (8 workers, 100 ms a call)",
        x_title="connections",
        y_title="minutes",
        logarithmic=True,
        show_dots=True,
        width=720,
        height=420,
        legend_at_bottom=True,
        js=[],  # no script from a CDN in a file kept in the repository
    )
    hold, cpu = PER_SYNC["hold_s"], PER_SYNC["cpu_s"]
    chart.add("measured", [(n, w / 60) for n, w in MEASURED])
    chart.add(
        "extrapolated (linear)",
        [(n, n * hold / PER_SYNC["workers"] / 60) for n in SIZES],
        stroke_style={"dasharray": "4,4"},
    )
    chart.add("the seed's loop (sequential, measured per sync)", [(n, n * PER_SYNC["seed_s"] / 60) for n in SIZES])
    chart.add("CPU bound (2 cores)", [(n, n * cpu / PER_SYNC["cores"] / 60) for n in SIZES])
    chart.add("target: 30,000 in 30 min", [(100, 30.0), (30_000, 30.0)])
    OUT.write_bytes(chart.render())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
