"""CSRF on every state-changing request, no writes on GET, security headers (W1, W3, W4)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.web.routes import fill, rules

# Routes that are exempt by design: the platforms' signed server-to-server callbacks (W10); their
# signature (Meta signed_request, TikTok-Signature) is the authentication.
CSRF_EXEMPT: set[str] = {
    "api.meta_deauthorize",
    "api.meta_data_deletion",
    "api.tiktok_webhook",
    # A4 report/share links: the 256-bit token in the path is the proof a forged
    # cross-site POST cannot carry, and they must not set a session (CSRF) cookie.
    "reports.link",
    "reports.share",
}


def test_every_unsafe_rule_rejects_a_missing_csrf_token(app, client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach)
    d = factory.deliverable(c)
    client.login("coach@example.com")
    client.auto_csrf = False
    checked = 0
    for endpoint, rule, methods in rules(app):
        for method in methods:
            if method == "GET" or endpoint in CSRF_EXEMPT:
                continue
            url = fill(
                rule,
                {
                    "client_id": c.id,
                    "deliverable_id": d.id,
                    "token": "x",
                    "connection_id": 1,
                    "report_id": 1,
                    "link_id": 1,
                    "alert_id": 1,
                    "comment_id": 1,
                    "content_id": 1,
                    "user_id": c.user_id,
                },
            )
            for headers in ({}, {"HX-Request": "true"}, {"Content-Type": "application/json"}):
                resp = client.open(
                    url, method=method, headers=headers, data="{}" if headers.get("Content-Type") else None
                )
                assert resp.status_code == 400, (method, url, headers, resp.status_code)
            checked += 1
    assert checked >= 6  # login, logout, invite, new client, program, deliverables, ...


def test_htmx_csrf_header_is_accepted(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach)
    client.login("coach@example.com")
    resp = client.hx(
        "POST",
        f"/admin/clients/{c.id}/program",
        data={"program_start": "2026-01-05", "program_end": "", "status": "active", "time_zone": "UTC"},
    )
    assert resp.status_code == 200


def test_get_requests_write_nothing(app, client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach)
    factory.deliverable(c)
    client.login("coach@example.com")
    writes: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        for endpoint, rule, methods in rules(app):
            if "GET" in methods:
                url = fill(
                    rule,
                    {
                        "client_id": c.id,
                        "deliverable_id": 1,
                        "token": "x",
                        "connection_id": 1,
                        "report_id": 1,
                        "link_id": 1,
                        "alert_id": 1,
                    },
                )
                client.get(url)
                client.get(url, headers={"HX-Request": "true"})
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    # The OAuth callback (api.callback) is the one GET that may write: the platform redirects the
    # browser there with GET. Here it gets no valid state ("x" is not a platform), so it writes nothing
    # either; its writes are guarded by the single-use state (tests/connections/test_oauth.py).
    assert writes == []


@pytest.mark.parametrize("htmx", [False, True])
def test_security_headers_on_pages_and_fragments(client, factory, htmx):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    resp = client.get("/admin/clients", headers={"HX-Request": "true"} if htmx else {})
    h = resp.headers
    csp = h["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert part in csp
    assert "unsafe-eval" not in csp
    assert "unsafe-inline" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert h["Strict-Transport-Security"].startswith("max-age=31536000")
    assert h["Cache-Control"] == "no-store"
    assert "HX-Request" in h["Vary"]


def test_fragment_is_a_fragment(client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    full = client.get("/admin/clients").get_data(as_text=True)
    part = client.get("/admin/clients", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full
    assert "<html" not in part
    assert part.lstrip().startswith('<div id="client-table"')


def test_htmx_config_disables_eval(client):
    page = client.get("/login").get_data(as_text=True)
    assert '"allowEval":false' in page
    assert '"selfRequestsOnly":true' in page
    assert '"allowScriptTags":false' in page
    assert '"includeIndicatorStyles":false' in page
    assert "hx-on" not in page
    assert "<script>" not in page
    assert "https://" not in page.split("<body", 1)[0]  # no CDN in the head


def test_templates_have_no_inline_scripts_or_hx_on():
    from pathlib import Path

    for path in Path("templates").rglob("*.html"):
        text = path.read_text()
        assert "hx-on" not in text, path
        assert "<script>" not in text, path
        assert "js:" not in text, path
