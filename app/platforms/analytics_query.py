"""YouTube Analytics ``reports.query`` that survives a retired metric.

The API answers 400 "Unknown identifier (X) given in field parameters.metrics." for a metric it no
longer knows; the whole report is refused. :func:`report_without_unknown` drops that metric and asks
again, so one retired metric never empties the others (each drop is logged).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from app.platforms.errors import InvalidRequest

log = logging.getLogger(__name__)

_UNKNOWN = re.compile(r"Unknown identifier \((\w+)\) given in field parameters\.metrics")


def report_without_unknown(
    get: Callable[[Mapping[str, Any]], Mapping[str, Any]], params: Mapping[str, Any]
) -> Mapping[str, Any]:
    """``get(params)``, again without each metric the API calls unknown (at most once per metric)."""
    current = dict(params)
    while True:
        try:
            return get(current)
        except InvalidRequest as exc:
            found = _UNKNOWN.search(exc.message)
            metrics = str(current.get("metrics", "")).split(",")
            if found is None or found.group(1) not in metrics or len(metrics) == 1:
                raise
            log.info("youtube analytics: dropping unknown metric %s", found.group(1))
            current["metrics"] = ",".join(m for m in metrics if m != found.group(1))
