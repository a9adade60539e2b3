"""App-wide template helpers are registered in one place (``app/web/templating.py``), so no page
depends on which blueprint modules registered what; the helpers work on every kind of page."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent.parent / "app" / "web"
REGISTERS = re.compile(r"app_template_(global|filter|test)|app_context_processor|context_processor|jinja_env")


def test_only_templating_registers_template_helpers():
    offenders = [
        str(path.relative_to(WEB))
        for path in WEB.rglob("*.py")
        if path.name != "templating.py" and REGISTERS.search(path.read_text())
    ]
    assert offenders == []
    assert REGISTERS.search((WEB / "templating.py").read_text())


def test_the_helpers_are_on_the_apps_environment(app):
    env = app.jinja_env
    for name in ("csp_nonce", "platform_names", "alerts_unread"):
        assert name in env.globals
    for name in ("pt", "svg_data_uri", "svg_markup"):
        assert name in env.filters


def test_a_client_page_outside_the_crm_shows_the_nav_badge_and_the_queue_banner(app, client, factory):
    from datetime import date

    from app.extensions import db
    from app.models import Alert

    c = factory.client(email="c@example.com")
    db.session.add(
        Alert(
            client_id=c.id,
            type="MILESTONE",
            severity="info",
            title="1K followers",
            message="1K",
            details={},
            day=date(2026, 1, 1),
            dedup_key="MILESTONE:templating",
        )
    )
    db.session.commit()
    client.login("c@example.com")
    text = client.get("/reports").get_data(as_text=True)
    assert '<span class="nav-badge" data-testid="unread-count" aria-label="1 unread">1</span>' in text
    assert "Background work is paused" not in text
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("portal_redis", None)
    app.extensions.pop("portal_status", None)  # the cached check
    assert "Background work is paused" in client.get("/reports").get_data(as_text=True)
