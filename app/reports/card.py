"""The share card: a 1200×630 PNG (the Open Graph / LinkedIn / X size) of a programme report's cover,
drawn with Pillow by a worker: the brand (logo or name, colour), the client's name, the period and the
three headline numbers of ``summary.program``.

Fonts are the packaged DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew), laid out by Pillow's
raqm engine where installed (Arabic is joined and right-to-left). A name with characters DejaVu does
not have (CJK, emoji) never crashes and never prints as empty boxes: those characters are dropped, and
when that would leave less than half of the name the card shows no name (the page title carries it).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont, features

from app.reports import formatting
from app.reports.pdf import FONT_DIR, _covered

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
INK, MUTED, TILE = "#111827", "#4b5563", "#f3f4f6"
Font = ImageFont.FreeTypeFont


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False) -> Font:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONT_DIR / name), size, layout_engine=engine)


def drawable(text: str) -> str:
    """``text`` without the characters the font lacks; empty when that drops more than half of it."""
    covered = _covered()
    kept = "".join(ch for ch in text if ord(ch) in covered or ch.isspace())
    letters = [ch for ch in text if not ch.isspace() and ord(ch) not in (0x200D, 0xFE0F, 0xFE0E)]
    lost = sum(1 for ch in letters if ord(ch) not in covered)
    return "" if not letters or lost * 2 > len(letters) else " ".join(kept.split())


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int, bold: bool = False, smallest: int = 18) -> Font:
    """The largest font (down to ``smallest``) in which ``text`` fits ``width``."""
    while size > smallest and draw.textlength(text, font=_font(size, bold)) > width:
        size -= 2
    return _font(size, bold)


def _clip(draw: ImageDraw.ImageDraw, text: str, width: int, font: Font) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _logo(png: bytes | None, box: tuple[int, int]) -> Image.Image | None:
    if not png:
        return None
    with Image.open(io.BytesIO(png)) as img:
        logo = img.convert("RGBA")
    logo.thumbnail(box)
    return logo


def render(
    payload: Mapping[str, Any],
    headlines: list[Mapping[str, Any]],
    *,
    business: str,
    colour: str,
    footer: str,
    logo_png: bytes | None = None,
) -> bytes:
    """The card as PNG bytes."""
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, WIDTH, 14), fill=colour)
    inner = WIDTH - 2 * MARGIN
    logo = _logo(logo_png, (360, 72))
    if logo is not None:
        img.paste(logo, (MARGIN, 44), logo)
    else:
        name = drawable(business) or "Report"
        font = _fit(draw, name, inner // 2, 34, bold=True)
        draw.text((MARGIN, 52), _clip(draw, name, inner // 2, font), font=font, fill=colour)
    kind = "Programme report"
    kfont = _font(28)
    draw.text((WIDTH - MARGIN - draw.textlength(kind, font=kfont), 56), kind, font=kfont, fill=MUTED)

    client = drawable(str((payload.get("client") or {}).get("name") or ""))
    y = 150
    if client:
        font = _fit(draw, client, inner, 68, bold=True, smallest=36)
        draw.text((MARGIN, y), _clip(draw, client, inner, font), font=font, fill=INK)
        y += 96
    period = payload.get("period") or {}
    loc = payload.get("locale") or formatting.DEFAULT_LOCALE
    when = formatting.period(period.get("start"), period.get("end"), loc)
    draw.text((MARGIN, y), when, font=_font(30), fill=MUTED)

    gap = 24
    tile_w = (inner - 2 * gap) // 3
    top, bottom = 360, 540
    for i, h in enumerate(headlines[:3]):
        x = MARGIN + i * (tile_w + gap)
        draw.rectangle((x, top, x + tile_w, bottom), fill=TILE)
        draw.rectangle((x, top, x + 8, bottom), fill=colour)
        label = str(h.get("label") or "")
        draw.text((x + 28, top + 20), _clip(draw, label, tile_w - 40, _font(26)), font=_font(26), fill=MUTED)
        value = str(h.get("text") or "—")
        vfont = _fit(draw, value, tile_w - 40, 64, bold=True, smallest=30)
        draw.text((x + 28, top + 58), value, font=vfont, fill=INK)
        note = drawable(str(h.get("note") or ""))
        nfont = _fit(draw, note, tile_w - 40, 22, smallest=16)
        draw.text((x + 28, top + 136), _clip(draw, note, tile_w - 40, nfont), font=nfont, fill=MUTED)
    line = drawable(" · ".join(p for p in (business, footer) if p))
    draw.text((MARGIN, 572), _clip(draw, line, inner, _font(22)), font=_font(22), fill=MUTED)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
