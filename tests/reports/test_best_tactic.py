"""The programme report's "best performing content theme": the tagged tactic with the largest positive
lift over the account's own baseline (app/stats/tactics.py best_theme), hand-computed, on the page
payload and printed in the PDF; an honest sentence when no tactic can be compared."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, ContentItem, ContentTactic
from app.reports import build, service
from tests.reports.test_contents import TODAY
from tests.reports.test_reports import _text
from tests.support import history

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


def _tag_reels(program) -> None:
    """Tag the three #reels posts (10% each) 'collab'; add a third untagged image post at 2%: the
    baseline is the 1%, 1% and 2% posts, median 1.0%; lift (10.0 - 1.0) / 1.0 x 100 = +900.0%."""
    ig = db.session.execute(
        select(Connection).where(Connection.client_id == program.id, Connection.platform == "instagram")
    ).scalar_one()
    history.post(ig, datetime(2026, 10, 27, 9, tzinfo=UTC), likes=20, followers=1000, caption="plain")
    reels = db.session.scalars(select(ContentItem).where(ContentItem.caption.like("reel day%"))).all()
    assert len(reels) == 3
    db.session.add_all(ContentTactic(content_item_id=r.id, tactic="collab") for r in reels)
    db.session.commit()


@needs_pdftotext
def test_programme_report_names_the_best_tactic(app, program):
    _tag_reels(program)
    r = build.program(program, TODAY, None)
    assert r["best_tactic"] == {
        "slug": "collab",
        "name": "Collab",
        "posts": 3,
        "median_engagement": 10.0,
        "baseline_posts": 3,
        "baseline_engagement": 1.0,
        "lift_pct": 900.0,
    }
    text = " ".join(_text(service.render_report_pdf(r)).split())
    assert (
        "Best performing content theme (tactics): Collab: median engagement 10.0% on 3 tagged posts against "
        "1.0% on the account's other 3 posts of the same formats (+900.0% lift)."
    ) in text


@needs_pdftotext
def test_without_enough_tagged_posts_the_report_says_so(app, program):
    r = build.program(program, TODAY, None)
    assert r["best_tactic"] is None
    text = " ".join(_text(service.render_report_pdf(r)).split())
    assert "Best performing content theme (tactics): no tactic beats the account's own baseline yet" in text


def test_an_older_stored_payload_without_the_field_prints_nothing_about_it(app, program):
    from flask import render_template

    r = build.program(program, TODAY, None)
    r.pop("best_tactic")
    with app.test_request_context():
        html = render_template("reports/pdf.html", r=r, pdf=True, full=True, public=False)
    assert "Best content theme" in html  # the same block, so the check below is not vacuous
    assert "Best performing content theme" not in html
