"""Run one step of a sync's plan beside the others: its platform calls overlap theirs.

Why: a daily sync waits on 4-8 sequential platform round trips; its CPU is a small part of its wall time.
The steps after the profile (content then post numbers; account insights; comment pages of different
posts) do not depend on each other, so running one of them in a side thread shortens the sync by that
step's round trips without another worker process (memory) or more calls (quota).

What keeps it safe: a side step only calls the platform through the sync's ``RecordingSession``
(Redis-atomic budgets, counters under a lock, a lock extension that is not thread-local) and touches
neither the database nor the app context; the sync waits for every side step before it writes, also
when the main path fails, so no call outlives the sync's lock and the one write transaction is
unchanged (exactly once). An exception of a side step is raised where its result is asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: False runs every step inline, one after the other (the plan as it was before; ``bench/sync.py``'s
#: comparison with the seed's sequential loop)
OVERLAP = True


class Aside(Generic[T]):
    """``fn()`` started at once in a daemon thread; ``result()`` waits for it and returns or raises."""

    def __init__(self, fn: Callable[[], T], *, inline: bool = False) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sync-aside", daemon=True)
        if OVERLAP and not inline:
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def wait(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()

    def result(self) -> T:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
