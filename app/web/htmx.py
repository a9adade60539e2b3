"""One URL, two representations: the full page, or one of its ``{% block %}``s for HTMX requests."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from htmx_flask import make_response, request
from jinja2_fragments.flask import render_block

from app import htmx_events


def render(
    template: str,
    block: str | None = None,
    *,
    status: int = 200,
    trigger: dict[str, Any] | None = None,
    push_url: str | None = None,
    **context: Any,
) -> Response:
    """Render ``template`` whole, or only ``block`` when the request comes from HTMX.

    ``Vary: HX-Request`` is added for every HTML response in ``headers.py`` so caches keep both.
    """
    body = render_block(template, block, **context) if block and request.htmx else render_template(template, **context)
    return make_response(body, status, trigger=trigger, push_url=push_url)


def toast(message: str, level: str = "success") -> dict[str, Any]:
    """An HX-Trigger payload that shows a toast in the page."""
    return {htmx_events.TOAST: {"message": message, "level": level}}
