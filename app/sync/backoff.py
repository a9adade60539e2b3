"""Retry delays: capped exponential backoff with full jitter, honouring the platform's own hints (J7).

Full jitter (``random(0, min(cap, base * 2**n))``) spreads retries of many workers that failed together;
a platform hint (``Retry-After``, Meta's ``estimated_time_to_regain_access``) is a floor, with a little
jitter on top so every throttled connection does not come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_rng = random.SystemRandom()


@dataclass(frozen=True)
class Backoff:
    """``base`` and ``cap`` in seconds; ``budget`` is how many retries one sync may make in total."""

    base: float = 30.0
    cap: float = 3600.0
    budget: int = 5

    def delay(self, attempt: int, hint: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry).

        With a hint: ``hint + random(0, min(60, hint / 10 + 1))``; without: full jitter; at least 1 s
        either way (a ``Retry-After: 0`` is not a reason to come straight back).
        """
        if hint is not None and hint >= 0:
            return max(1.0, hint + _rng.uniform(0, min(60.0, hint / 10 + 1)))
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt)))
        return max(1.0, _rng.uniform(0, ceiling))

    def exhausted(self, attempt: int) -> bool:
        """Whether retry number ``attempt`` would go over the budget (no 6th attempt with budget 5)."""
        return attempt >= self.budget
