"""Each client's reports in their own format: the client's locale (set on the CRM's programme card,
default: the business's choice, else English) formats the dates and numbers of the report page, the
PDF, the share card and the report email (Babel; hand-written expectations)."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, OutboxEmail, Report
from app.reports import build, service
from app.services import brand
from tests.reports.test_reports import END, _done_report, _text, _work

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")


def _locale(c: Client, name: str | None) -> None:
    c.locale = name
    db.session.commit()


def test_the_coach_sets_a_clients_report_format_on_the_programme_card(client, factory):
    coach = factory.coach(email="coach@example.com")
    c = factory.client(coach=coach, name="Zoë Fischer", email="zoe@example.com")
    client.login("coach@example.com")
    edit = client.hx("GET", f"/admin/clients/{c.id}/program?edit=1").get_data(as_text=True)
    assert '<option value="de"' in edit
    assert "The business's default" in edit
    form = {"program_start": "", "program_end": "", "status": "active", "time_zone": "UTC"}
    bad = client.hx("POST", f"/admin/clients/{c.id}/program", data={**form, "locale": "xx_<script>"})
    assert bad.status_code == 422
    assert "Choose a report format from the list." in bad.get_data(as_text=True)
    assert "<script>" not in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, c.id).locale is None  # nothing stored
    ok = client.hx("POST", f"/admin/clients/{c.id}/program", data={**form, "locale": "de"})
    assert ok.status_code == 200
    assert "Deutsch: 09.11.2026" in ok.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, c.id).locale == "de"
    back = client.hx("POST", f"/admin/clients/{c.id}/program", data={**form, "locale": ""})
    assert back.status_code == 200
    db.session.expire_all()
    assert db.session.get(Client, c.id).locale is None  # the business's default again


def test_the_client_locale_wins_over_the_business_default(app, seeded):
    assert build.weekly(seeded, END)["locale"] == "en"
    brand.save(business_name=None, primary_colour=None, sender_name=None, reply_to=None, footer=None, locale="en_GB")
    assert build.weekly(seeded, END)["locale"] == "en_GB"
    _locale(seeded, "fr")
    assert build.weekly(seeded, END)["locale"] == "fr"


@pytest.mark.parametrize(
    ("name", "period", "followers"),
    [
        ("de", "9.–15. Nov. 2026", "1.600"),
        ("fr", "9–15 nov. 2026", "1 600"),
        ("es", "9–15 nov 2026", "1.600"),
        ("ja", "2026年11月9日～15日", "1,600"),
    ],
)
def test_weekly_pdf_and_page_in_the_clients_locale(app, client, seeded, name, period, followers):
    """Followers 1,100 + 500 on Nov 15: 1,600 (pdftotext read through NFKC); Babel's
    spaces (narrow no-break in fr) normalised."""
    _locale(seeded, name)
    payload = build.weekly(seeded, END)
    text = _text(service.render_report_pdf(payload))
    assert unicodedata.normalize("NFKC", period) in text  # pdftotext is read through NFKC (～ -> ~)
    assert followers in text.replace("\u202f", " ").replace("\xa0", " ")
    if name == "ja":  # Japanese dates print in the embedded CJK font, not as boxes
        assert "■" not in text
    report = _done_report(seeded)
    _link, token = service.issue_link(report, "zoe@example.com", None)
    db.session.commit()
    client.auto_csrf = False
    page = client.post(f"/r/{report.id}/{token}").get_data(as_text=True)
    assert period in page
    assert followers in page.replace("\u202f", " ").replace("\xa0", " ")


def test_the_report_email_uses_the_clients_locale(app, seeded):
    _locale(seeded, "de")
    assert service.weekly_fanout(datetime(2026, 11, 16, 8, 0, tzinfo=UTC)) == 1
    _work()
    assert db.session.execute(select(Report.status)).scalar_one() == "done"
    emails = db.session.execute(select(OutboxEmail).where(OutboxEmail.to_address == "zoe@example.com")).scalars().all()
    assert emails
    assert "(9.–15. Nov. 2026)" in emails[0].subject
