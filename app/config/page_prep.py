"""The settings of the page preparations workers run after a sync (``app/services/page_prep.py``), in the
"sync" group of the declaration (``app/config/table.py``)."""

from __future__ import annotations

from app.config.setting import Setting

PAGE_PREP_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PAGE_PREP_DELAY_SECONDS",
        "int",
        30,
        "After a sync, a worker renders the client's charts for the pages' default ranges; syncs of one "
        "client finishing within this window share one preparation, run at its end. 0: one per sync, at once.",
        minimum=0,
    ),
    Setting(
        "PAGE_PREP_PORTFOLIO_DELAY_SECONDS",
        "int",
        300,
        "After a sync, a worker refreshes the client's coach's and the admins' portfolio, at most once per "
        "user per window of this many seconds (a portfolio of 10,000 clients takes seconds to compute). "
        "0: one per sync, at once.",
        minimum=0,
    ),
)
