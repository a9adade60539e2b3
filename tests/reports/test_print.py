"""The PDFs as printed: rendered to PNG with pdftoppm (poppler-utils) and read back with
``pdftotext -bbox``, so the checks are about the printed page, not the HTML: no two words overlap on
any page (a long handle once ran into the next column), page numbers, the "data as of" line in words,
no ISO timestamp anywhere, the brand's name, colour and logo on the page, names in any script."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from app.extensions import db
from app.reports import build, service
from app.services import brand
from tests.reports.test_contents import COMMENT, TODAY
from tests.reports.test_reports import END, _text
from tests.support import history

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None, reason="poppler-utils missing"
)
LONG_HANDLE = "maya.moves.with.a.very.long.handle_that_goes_on_and_on"
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def words(pdf: bytes) -> list[list[tuple[float, float, float, float, str]]]:
    """Every word of every page with its box (points), from ``pdftotext -bbox``."""
    html = subprocess.run(  # noqa: S603
        ["pdftotext", "-bbox", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    pages = html.split("<page ")[1:]
    return [
        [(float(a), float(b), float(c), float(d), unescape(w)) for a, b, c, d, w in WORD.findall(page)]
        for page in pages
    ]


def overlaps(page: list[tuple[float, float, float, float, str]], slack: float = 0.6) -> list[tuple[str, str]]:
    """Pairs of words whose boxes intersect by more than ``slack`` points both ways."""
    found = []
    for i, a in enumerate(page):
        for b in page[i + 1 :]:
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > slack and dy > slack:
                found.append((a[4], b[4]))
    return found


#: A4's width less its 1.6 cm right margin (pdf.html's @page), with half a point of slack
RIGHT_EDGE = 595.28 - 1.6 / 2.54 * 72 + 0.5


def past_the_margin(pdf: bytes) -> list[str]:
    """Words that run past the right margin (or off the page): reportlab breaks lines at spaces only."""
    return [w[4] for page in words(pdf) for w in page if w[2] > RIGHT_EDGE]


def pngs(pdf: bytes, tmp: Path, dpi: int = 50) -> list[Image.Image]:
    (tmp / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(tmp / "r.pdf"), str(tmp / "p")], check=True)  # noqa: S603,S607
    return [Image.open(p).convert("RGB") for p in sorted(tmp.glob("p-*.png"))]


def _logo() -> bytes:
    img = Image.new("RGB", (300, 100), "#7c2d12")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _brand() -> None:
    brand.save(
        business_name="Northwind Coaching",
        primary_colour="#7c2d12",
        sender_name=None,
        reply_to=None,
        footer="Growth you can show",
        locale="en_GB",
        logo=_logo(),
    )


def _colour_share(img: Image.Image, rgb: tuple[int, int, int], tol: int = 12) -> float:
    px = list(img.get_flattened_data()) if hasattr(img, "get_flattened_data") else list(img.getdata())
    hits = sum(1 for p in px if all(abs(p[i] - rgb[i]) <= tol for i in range(3)))
    return hits / len(px)


def test_weekly_pdf_prints_cleanly_with_a_long_handle_and_the_brand(app, seeded, tmp_path):
    _brand()
    tt = history.connection(seeded, "tiktok", username=LONG_HANDLE)
    history.daily(tt, END - timedelta(days=7), [20000 + 50 * i for i in range(8)])
    payload = build.weekly(seeded, END)
    pdf = service.render_report_pdf(payload)

    pages = words(pdf)
    assert len(pages) == 1
    assert overlaps(pages[0]) == []
    text = _text(pdf)
    assert "Page 1 of 1" in text
    assert "Northwind Coaching · Growth you can show" in text
    assert "9 – 15 Nov 2026" in text  # en_GB, the brand's format
    squeezed = "".join(text.split())  # the PDF wraps a long run of characters every 20 (app/reports/pdf.py)
    assert "Accountsinfull:TikTok@" + LONG_HANDLE in squeezed
    assert ISO_MOMENT.search(text) is None
    assert "What grew." in text
    assert "TikTok grew the most: +350 followers (+1.8%)" in text
    assert "21,950" in text  # the cover: followers now (1,100 + 500 + 20,350)

    (page,) = pngs(pdf, tmp_path)
    assert abs(page.size[0] - 413) <= 1  # A4 at 50 dpi
    assert abs(page.size[1] - 585) <= 1
    assert _colour_share(page, (0x7C, 0x2D, 0x12)) > 0.002  # the brand colour: logo, rules, headings


def test_programme_pdf_prints_cleanly_with_cover_chart_and_page_numbers(app, program, tmp_path):
    payload = build.program(program, TODAY, COMMENT)
    pdf = service.render_report_pdf(payload)
    pages = words(pdf)
    assert len(pages) == 2
    for page in pages:
        assert overlaps(page) == []
    cover = " ".join(w[4] for w in pages[0])
    for needle in ("+836", "+69.7%", "10.0%", "Followers", "gained", "What", "grew."):
        assert needle in cover, needle
    text = _text(pdf)
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert "No account has synced yet" in text  # the "data as of" line, in words
    assert "M1: Brand audit completed Oct 5, 2026" in text  # the chart's markers named under it
    chart = text[text.index("Followers over the programme") :]
    assert "M1" in chart
    assert "Start" in chart
    assert ISO_MOMENT.search(text) is None
    images = pngs(pdf, tmp_path)
    assert len(images) == 2
    assert all(min(img.convert("L").getextrema()) < 100 for img in images)  # ink on every page


@pytest.mark.parametrize("name", ["渡辺 健二", "김민준", "محمد الأحمد", "Zoë 🚀 Fischer", "A" * 120])
def test_names_in_any_script_print(app, seeded, name):
    seeded.display_name = name
    db.session.commit()
    pdf = service.render_report_pdf(build.weekly(seeded, END))
    text = _text(pdf)
    if "🚀" in name:
        assert "Zoë 🚀 Fischer" in text  # drawn from Noto Emoji, and copied as the emoji (pdf_unicode)
    elif name.startswith("A"):
        assert "A" * 120 in "".join(text.split())  # wrapped, not clipped
    else:
        assert name in text
    for page in words(pdf):
        assert overlaps(page) == []
    assert past_the_margin(pdf) == []


@pytest.mark.parametrize("name", ["W" * 60, "Wolkenstein-Oberhausen-Wolkenstein-Oberhausen", "渡辺" * 20])
def test_a_long_name_wraps_inside_the_margins_of_every_report(app, program, factory, name):
    """The cover's 22-pt name once ran off the page: 32 bold "W" are 725 pt of a 504-pt text width."""
    from app.reports import case_study

    program.display_name = name
    db.session.commit()
    for payload in (build.weekly(program, END), build.program(program, TODAY, COMMENT)):
        pdf = service.render_report_pdf(payload)
        assert past_the_margin(pdf) == [], payload["kind"]
        assert name in "".join(_text(pdf).split())  # wrapped, not clipped
        assert [pair for page in words(pdf) for pair in overlaps(page)] == []
    assert past_the_margin(case_study.pdf(case_study.payload(program, TODAY, anonymous=False))) == []


def test_the_data_as_of_line_prints_in_words_in_the_clients_zone(app, seeded):
    """The last sync (03:04 UTC) in Berlin's winter time, and how long before the report it was."""
    from datetime import UTC, datetime

    seeded.time_zone = "Europe/Berlin"
    history.connection(seeded, "tiktok", username="zoe_tt", last_sync_at=datetime(2026, 11, 16, 3, 4, tzinfo=UTC))
    payload = build.weekly(seeded, END)
    assert payload["data_as_of"] == "2026-11-16T03:04:00+00:00"
    payload["generated_at"] = "2026-11-16T06:10:00+00:00"
    text = " ".join(_text(service.render_report_pdf(payload)).split())
    assert (
        "Data as of Monday, November 16, 2026 at 04:04 Central European Standard Time, 3 hours before this "
        "report was made." in text
    )
    assert ISO_MOMENT.search(text) is None


def test_the_emailed_page_and_the_pdf_say_the_same(app, client, seeded):
    """One template: the emailed link's page and the PDF carry the same cover numbers, sentences, rating
    line and "data as of" line (the PDF's text with its line breaks joined)."""
    from app.web.templating import report_summary
    from tests.reports.test_reports import _done_report

    _brand()
    report = _done_report(seeded)
    _link, token = service.issue_link(report, "zoe@example.com", None)
    db.session.commit()
    client.auto_csrf = False
    page = " ".join(
        unescape(re.sub(r"<[^>]+>", " ", client.post(f"/r/{report.id}/{token}").get_data(as_text=True))).split()
    )
    pdf = " ".join(_text(client.post(f"/r/{report.id}/{token}", data={"format": "pdf"}).data).split())
    s = report_summary(report.payload)
    needles = [h["text"] for h in s["headlines"]] + [s["grew"], s["changed"], s["next"], "Northwind Coaching"]
    needles += [
        "Followers changed +6.7% this week (Excellent: 2% or more).",
        "No account has synced yet",
    ]  # 1,500 → 1,600
    for needle in needles:
        assert needle in page, needle
        assert needle in pdf, needle


@pytest.mark.parametrize(
    "caption",
    ["منشور عربي 🚀 رائع جدا", "渡辺の朝のルーティン 🎉 #reels", "x" * 400, "https://example.com/" + "a/b" * 120],
)
def test_captions_in_any_script_and_length_print_inside_the_page(app, seeded, caption):
    """The top post's caption (cut at 280 characters when built): every script printed, a run without
    spaces wrapped inside the margins, nothing overlapping."""
    ig = history.connection(seeded, "tiktok", username="zoe_tt")
    history.daily(ig, END - timedelta(days=7), [300] * 8)
    history.post(ig, END - timedelta(days=1), likes=900, comments=90, followers=1000, caption=caption)
    pdf = service.render_report_pdf(build.weekly(seeded, END))
    assert caption[:280] in "".join(_text(pdf).split()) or caption in _text(pdf)
    assert past_the_margin(pdf) == []
    for page in words(pdf):
        assert overlaps(page) == []


def test_empty_reports_print_cleanly(app, factory, tmp_path):
    """No connections, no data: a cover of em dashes and sentences that say so, never a broken PDF."""
    c = factory.client(name="New Client", email="new@example.com")
    for payload in (build.weekly(c, END), build.program(c, END)):
        pdf = service.render_report_pdf(payload)
        text = _text(pdf)
        assert "—" in text
        assert "There are no follower numbers for this period yet." in text
        assert "Connect an account in the portal" in text
        assert "No account has synced yet" in text
        for page in words(pdf):
            assert overlaps(page) == []


def test_portfolio_pdf_prints_cleanly(app, program, factory):
    from sqlalchemy import select

    from app.models import User
    from app.services import clients

    coach = db.session.execute(select(User).where(User.email == "coach@example.com")).scalar_one()
    other = factory.client(coach=coach, name="Maximiliane Wolkenstein-Oberhausen-" + "X" * 60, email="m@example.com")
    ig = history.connection(other, "instagram", username=LONG_HANDLE)
    history.daily(ig, TODAY - timedelta(days=40), [300 + i for i in range(41)])
    payload = build.portfolio(clients.visible_clients(coach), TODAY)
    assert payload["clients"] == 2
    pdf = service.render_report_pdf(payload)
    text = _text(pdf)
    assert "All clients" in text
    assert "Portfolio report" in text
    for page in words(pdf):
        assert overlaps(page) == []


def _fonts(pdf: bytes, tmp: Path) -> str:
    (tmp / "f.pdf").write_bytes(pdf)
    return subprocess.run(["pdffonts", str(tmp / "f.pdf")], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils missing")
def test_cjk_names_embed_the_fallback_font_and_latin_reports_do_not_load_it(app, seeded, tmp_path):
    latin = service.render_report_pdf(build.weekly(seeded, END))
    assert "NotoSansSC" not in _fonts(latin, tmp_path)  # the 10 MB font is read only when needed
    seeded.display_name = "渡辺 健二"
    db.session.commit()
    cjk = service.render_report_pdf(build.weekly(seeded, END))
    embedded = [line.split() for line in _fonts(cjk, tmp_path).splitlines() if "NotoSansSC" in line]
    assert embedded
    assert all(row[-5] == "yes" for row in embedded)  # emb: a subset travels inside the PDF
    seeded.display_name = "김민준"  # Hangul: the Korean fallback, and only it
    db.session.commit()
    korean = _fonts(service.render_report_pdf(build.weekly(seeded, END)), tmp_path)
    assert "NotoSansKR" in korean
    assert "NotoSansSC" not in korean


def test_cjk_glyphs_print_rather_than_tofu(tmp_path):
    """The same two characters printed with the fallback font differ from each other (real glyphs);
    printed with the fallback's @font-face removed they are the same missing-glyph shape or nothing."""
    from app.reports import pdf as pdf_mod

    def page(text: str, faces: bool) -> Image.Image:
        style = (
            "@font-face { font-family: Body; src: url('static:fonts/DejaVuSans.ttf'); }"
            + (
                "/* cjk-faces */@font-face { font-family: Cjk; src: url('static:fonts/NotoSansSC-Regular.ttf'); }"
                ".cjk { font-family: Cjk, Body; }/* end cjk-faces */"
                if faces
                else ""
            )
            + "body { font-family: Body; font-size: 60pt; }"
        )
        html = f"<html><head><style>{style}</style></head><body><p>{pdf_mod.pdf_text(text)}</p></body></html>"
        out = tmp_path / f"{ord(text)}-{faces}"
        out.mkdir()
        return pngs(pdf_mod.render_pdf(html), out)[0].convert("L")

    a, b = page("渡", True), page("辺", True)
    assert a.getextrema()[0] < 100  # ink
    assert ImageChops.difference(a, b).getbbox() is not None
    bare_a, bare_b = page("渡", False), page("辺", False)
    assert ImageChops.difference(bare_a, bare_b).getbbox() is None  # without the font: identical boxes or blank


def test_emoji_print_as_glyphs_and_copy_as_emoji(tmp_path):
    """🚀 and 🎉 (beyond U+FFFF) print from Noto Emoji as two different inked glyphs, and the text read
    back is the emoji (ReportLab wrote "Ὠ" for 🚀 before ``pdf_unicode``); a skin tone is left out."""
    from app.reports import pdf as pdf_mod

    def render(text: str) -> bytes:
        html = (
            "<html><head><style>@font-face { font-family: Body; src: url('static:fonts/DejaVuSans.ttf'); }"
            f"{pdf_mod.FALLBACK_MARK} body {{ font-family: Body; font-size: 60pt; }}</style></head>"
            f"<body><p>{pdf_mod.pdf_text(text)}</p></body></html>"
        )
        return pdf_mod.render_pdf(html)

    rocket, party = render("🚀"), render("🎉")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = pngs(rocket, tmp_path / "a")[0].convert("L"), pngs(party, tmp_path / "b")[0].convert("L")
    assert a.getextrema()[0] < 100
    assert ImageChops.difference(a, b).getbbox() is not None
    assert "NotoEmoji" in _fonts(rocket, tmp_path)
    assert _text(rocket).strip() == "🚀"
    assert _text(render("Ok 👍🏽")).strip() == "Ok 👍"


def test_the_text_map_writes_utf16_beyond_the_basic_plane():
    from app.reports.pdf_unicode import to_unicode_cmap

    cmap = to_unicode_cmap("AAAAAA+NotoEmoji-Regular", [0, 0x41, 0x1F680])
    assert "<00> <02>" in cmap  # the code space: three codes
    assert "<01> <0041>" in cmap
    assert "<02> <D83DDE80>" in cmap  # U+1F680 as its surrogate pair
