"""The public share page as a link preview sees it: Open Graph tags (hostile names escaped), the card
image drawn by a worker and cached until the numbers or the brand change (names in any script never
crash it), and the client's choice of what the page shows."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageChops, ImageDraw

from app.extensions import db
from app.models import ShareCard
from app.reports import card, share
from tests.reports.test_contents import TODAY
from tests.reports.test_reports import _work

HOSTILE = '"><script>alert(1)</script> Kenji'


def _share_path(client) -> str:
    body = client.hx("POST", "/reports/share", data={"enabled": "1"}).get_data(as_text=True)
    url = body.split("<code>")[1].split("</code>")[0]
    return url[url.index("/s/") :]


def test_drawable_names():
    assert card.drawable("渡辺 健二") == "渡辺 健二"  # Noto Sans SC after DejaVu
    assert card.drawable("Zoë 🚀 Fischer") == "Zoë 🚀 Fischer"  # Noto Emoji
    assert card.drawable("محمد الأحمد") == "محمد الأحمد"
    assert card.drawable("김민준") == "김민준"  # Noto Sans KR
    assert card.drawable("ሰላም") == ""  # Ethiopic: no packaged font has it, no name rather than boxes
    assert card.drawable("ሰላም Abebe") == ""  # a name in part would be another name: none at all
    assert card.drawable("Abebe \U0001f000") == "Abebe"  # a symbol no font has (a mahjong tile) is left out
    assert card.drawable("👩\u200d👩\u200d👧 Kim") == "👩👩👧 Kim"  # joiners are invisible, not letters
    assert card.runs("Kenji 渡辺 김 🚀") == [("Kenji ", 0), ("渡辺", 1), (" ", 0), ("김", 2), (" ", 0), ("🚀", 3)]


def _glyph(text: str) -> Image.Image:
    img = Image.new("L", (120, 120), 255)
    card._write(ImageDraw.Draw(img), (10, 10), text, 80, False, "black")
    return img


@pytest.mark.parametrize(("a", "b"), [("渡", "辺"), ("東", "京"), ("ひ", "カ"), ("김", "민"), ("🚀", "🎉")])
def test_cjk_and_emoji_are_drawn_not_tofu(a, b):
    """Two different characters drawn with a missing glyph come out as the same empty box (tofu); drawn
    from the fallback fonts they have ink and differ from each other and from the main font's box."""
    first, second = _glyph(a), _glyph(b)
    assert first.getextrema()[0] < 100
    assert second.getextrema()[0] < 100
    assert ImageChops.difference(first, second).getbbox() is not None
    tofu = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(tofu).text((10, 10), a, font=card._font(80), fill="black")  # DejaVu alone
    assert ImageChops.difference(first, tofu).getbbox() is not None


@pytest.mark.parametrize("name", ["渡辺 健二", "محمد الأحمد", "Zoë 🚀 Fischer", "W" * 120, ""])
def test_card_renders_any_name(name):
    payload = {"client": {"name": name}, "period": {"start": "2026-09-01", "end": "2026-11-15"}, "locale": "en"}
    heads = [{"label": "Followers gained", "text": "+836", "note": "1,200 → 2,036"}] * 3
    png = card.render(payload, heads, business="Northwind 🚀", colour="#7c2d12", footer="Growth", logo_png=None)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    assert img.size == (1200, 630)
    assert img.convert("RGB").getpixel((600, 5)) == (0x7C, 0x2D, 0x12)  # the brand's band


def test_share_page_card_and_open_graph(app, client, program):
    program.display_name = HOSTILE
    db.session.commit()
    client.login("kenji@example.com")
    path = _share_path(client)  # turning sharing on asks a worker for the card
    client.logout()
    public = app.test_client()

    first = public.get(path + "/card.png")
    assert first.status_code == 404
    assert first.headers["Retry-After"] == "30"
    _work()
    image = public.get(path + "/card.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (1200, 630)
    assert "sandbox" in image.headers["Content-Security-Policy"]

    page = public.get(path).get_data(as_text=True)
    title = "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; Kenji · Programme report · Creator Portal"
    assert f'<meta property="og:title" content="{title}">' in page
    assert "<script>alert(1)" not in page
    desc = re.search(r'<meta property="og:description" content="([^"]*)">', page)[1]
    assert desc.startswith("Followers gained: +836 · Growth: +69.7% · Engagement: 10.0%. Followers grew by +836")
    assert re.search(r'<meta property="og:image" content="https?://[^"]+/s/[0-9a-f]+/card\.png">', page)
    assert '<meta name="twitter:card" content="summary_large_image">' in page

    # new data: the stale card is served while a worker draws the new one
    old = db.session.get(ShareCard, program.id)
    old_print, old_png = old.fingerprint, old.png
    program.program_end = TODAY  # the programme's window changes what the card shows
    db.session.commit()
    assert public.get(path + "/card.png").data == old_png
    _work()
    db.session.expire_all()
    new = db.session.get(ShareCard, program.id)
    assert new.fingerprint != old_print
    assert new.png != old_png


def test_the_client_chooses_what_the_public_page_shows(app, client, program):
    client.login("kenji@example.com")
    path = _share_path(client)
    public = app.test_client()
    totals = public.post(path).get_data(as_text=True)
    assert "+836" in totals
    assert "Followers by platform" not in totals
    assert "@kenji_ig" not in totals
    assert "Top posts" not in totals
    assert "<svg" not in totals  # the chart's lines are per platform
    assert "Instagram grew the most" not in totals
    assert "Followers grew by +836" in totals

    resp = client.hx("POST", "/reports/share/detail", data={"detail": "full"})
    assert resp.status_code == 200
    assert 'value="full" checked' in resp.get_data(as_text=True)
    full = public.post(path).get_data(as_text=True)
    for needle in ("Followers by platform", "@kenji_ig", "Top posts", "reel day 20", "<svg", "Instagram grew the most"):
        assert needle in full, needle
    assert "Coach's comment" not in full

    bad = client.hx("POST", "/reports/share/detail", data={"detail": "everything"})
    assert bad.status_code == 422
    assert "Choose what the shared page shows" in bad.get_data(as_text=True)
    assert client.post("/reports/share/detail", data={"detail": "totals"}).status_code == 303


def test_share_detail_is_the_clients_own(app, client, program, factory):
    client.login("coach@example.com")
    assert client.hx("POST", "/reports/share/detail", data={"detail": "full"}).status_code in (403, 404)


def test_card_fingerprint_follows_the_brand(app, program):
    from app.services import brand

    today = datetime(2026, 11, 20, tzinfo=UTC).date()
    before = share.card_fingerprint(program, today)
    assert share.card_fingerprint(program, today) == before
    brand.save(
        business_name="Northwind", primary_colour=None, sender_name=None, reply_to=None, footer=None, locale=None
    )
    assert share.card_fingerprint(program, today) != before


def test_programme_report_page_has_open_graph_tags(app, client, program):
    from app.models import Report
    from app.reports import service

    program.display_name = HOSTILE
    db.session.commit()
    report = Report(kind="program", client_id=program.id, period_start=TODAY, period_end=TODAY, status="queued")
    db.session.add(report)
    db.session.commit()
    service.generate(report.id)
    client.login("coach@example.com")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    title = "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; Kenji · Programme report · Creator Portal"
    assert f'<meta property="og:title" content="{title}">' in page
    assert '<meta property="og:description" content="Followers gained: ' in page
    assert "<script>alert(1)" not in page


def test_the_public_share_page_carries_the_brand(app, client, program):
    """The interstitial a link preview reads and the report behind it: the business's name, logo and
    colour, for a visitor who is not logged in."""
    from app.services import brand

    logo = io.BytesIO()
    Image.new("RGB", (240, 80), "#7c2d12").save(logo, "PNG")
    brand.save(
        business_name="Northwind Coaching",
        primary_colour="#7c2d12",
        sender_name=None,
        reply_to=None,
        footer="Growth you can show",
        locale=None,
        logo=logo.getvalue(),
    )
    client.login("kenji@example.com")
    path = _share_path(client)
    client.logout()
    public = app.test_client()
    for page in (public.get(path).get_data(as_text=True), public.post(path).get_data(as_text=True)):
        assert "Northwind Coaching" in page
        assert "/brand/logo.png?v=" in page
        assert "#7c2d12" in page
    assert '<meta property="og:site_name" content="Northwind Coaching">' in public.get(path).get_data(as_text=True)
