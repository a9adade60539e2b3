"""Route inventory helpers: every rule of the app with sample values for its arguments."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask

SKIP_ENDPOINTS = {"static"}


def rules(app: Flask) -> Iterator[tuple[str, str, list[str]]]:
    """(endpoint, rule, methods) for every rule except static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
        yield rule.endpoint, rule.rule, methods


def fill(rule: str, values: dict[str, object]) -> str:
    """Put sample values into ``<int:client_id>``-style placeholders."""
    import re

    def sub(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        return str(values.get(name, "x"))

    return re.sub(r"<([^>]+)>", sub, rule)
