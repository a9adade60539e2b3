"""The share card: a 1200×630 PNG (the Open Graph / LinkedIn / X size) of a programme report's cover,
drawn with Pillow by a worker: the brand (logo or name, colour), the client's name, the period and the
three headline numbers of ``summary.program``.

Fonts are the packaged DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew), laid out by Pillow's
raqm engine where installed (Arabic is joined and right-to-left), with a fallback chain for what it
lacks: Noto Sans SC (Chinese, Japanese), Noto Sans KR (Hangul) and monochrome Noto Emoji. Pillow has
no fallback of its own, so text is cut into runs of one font each (``runs``) and drawn run by run.
Symbols no font has (emoji joiners, an emoji newer than the font) are dropped, never drawn as empty
boxes; a name with a letter no font has (a script none covers, such as Ethiopic) is not drawn at all
rather than drawn in part (the page title carries it).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont, features

from app.reports import formatting
from app.reports.pdf import FONT_DIR, coverage

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
INK, MUTED, TILE = "#111827", "#4b5563", "#f3f4f6"
Font = ImageFont.FreeTypeFont


#: the fallback chain, in order: (regular file, bold file); the emoji font has one weight
FACES = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"),
    ("NotoSansKR-Regular.ttf", "NotoSansKR-Bold.ttf"),
    ("NotoEmoji-Regular.ttf", "NotoEmoji-Regular.ttf"),
)
_INVISIBLE = (0x200D, 0xFE0F, 0xFE0E)


@lru_cache(maxsize=64)
def _face(index: int, size: int, bold: bool) -> Font:
    name = FACES[index][1 if bold else 0]
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(FONT_DIR / name), size, layout_engine=engine)


def _font(size: int, bold: bool = False) -> Font:
    return _face(0, size, bold)


def _which(ch: str) -> int | None:
    """The first font of the chain that has ``ch`` (spaces: the main one), None when none has it."""
    if ch.isspace():
        return 0
    cp = ord(ch)
    for i, (regular, _bold) in enumerate(FACES):
        if cp in coverage(regular):
            return i
    return None


def runs(text: str) -> list[tuple[str, int]]:
    """``text`` cut into (run, font index) pieces; characters no font has are left out."""
    out: list[tuple[str, int]] = []
    for ch in text:
        i = _which(ch)
        if i is None:
            continue
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0] + ch, i)
        else:
            out.append((ch, i))
    return out


def drawable(text: str) -> str:
    """``text`` without the symbols no font has (an emoji newer than Noto Emoji); empty when a letter,
    mark or digit has no font, or nothing is left: "ሰላም Abebe" drawn as "Abebe" would be another name."""
    chars = [ch for ch in text if not ch.isspace() and ord(ch) not in _INVISIBLE]
    missing = [ch for ch in chars if _which(ch) is None]
    if not chars or len(missing) == len(chars) or any(unicodedata.category(ch)[0] in "LMN" for ch in missing):
        return ""
    kept = "".join(ch for ch in text if ord(ch) not in _INVISIBLE and _which(ch) is not None)
    return " ".join(kept.split())


def _length(draw: ImageDraw.ImageDraw, text: str, size: int, bold: bool) -> float:
    return sum(draw.textlength(run, font=_face(i, size, bold)) for run, i in runs(text))


def _write(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, bold: bool, fill: str) -> None:
    """Draw ``text`` run by run, each in the first font of the chain that has it, on one baseline."""
    x, y = xy
    base = _face(0, size, bold).getmetrics()[0]
    for run, i in runs(text):
        font = _face(i, size, bold)
        draw.text((x, y + base), run, font=font, fill=fill, anchor="ls")
        x += draw.textlength(run, font=font)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, size: int, bold: bool = False, smallest: int = 18) -> int:
    """The largest size (down to ``smallest``) at which ``text`` fits ``width``."""
    while size > smallest and _length(draw, text, size, bold) > width:
        size -= 2
    return size


def _clip(draw: ImageDraw.ImageDraw, text: str, width: int, size: int, bold: bool = False) -> str:
    if _length(draw, text, size, bold) <= width:
        return text
    while text and _length(draw, text + "…", size, bold) > width:
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
        size = _fit(draw, name, inner // 2, 34, bold=True)
        _write(draw, (MARGIN, 52), _clip(draw, name, inner // 2, size, True), size, True, colour)
    kind = "Programme report"
    kfont = _font(28)
    draw.text((WIDTH - MARGIN - draw.textlength(kind, font=kfont), 56), kind, font=kfont, fill=MUTED)

    client = drawable(str((payload.get("client") or {}).get("name") or ""))
    y = 150
    if client:
        size = _fit(draw, client, inner, 68, bold=True, smallest=36)
        _write(draw, (MARGIN, y), _clip(draw, client, inner, size, True), size, True, INK)
        y += 96
    period = payload.get("period") or {}
    loc = payload.get("locale") or formatting.DEFAULT_LOCALE
    when = formatting.period(period.get("start"), period.get("end"), loc)
    _write(draw, (MARGIN, y), when, 30, False, MUTED)

    gap = 24
    tile_w = (inner - 2 * gap) // 3
    top, bottom = 360, 540
    for i, h in enumerate(headlines[:3]):
        x = MARGIN + i * (tile_w + gap)
        draw.rectangle((x, top, x + tile_w, bottom), fill=TILE)
        draw.rectangle((x, top, x + 8, bottom), fill=colour)
        label = str(h.get("label") or "")
        _write(draw, (x + 28, top + 20), _clip(draw, label, tile_w - 40, 26), 26, False, MUTED)
        value = str(h.get("text") or "—")
        vsize = _fit(draw, value, tile_w - 40, 64, bold=True, smallest=30)
        _write(draw, (x + 28, top + 58), value, vsize, True, INK)
        note = drawable(str(h.get("note") or ""))
        nsize = _fit(draw, note, tile_w - 40, 22, smallest=16)
        _write(draw, (x + 28, top + 136), _clip(draw, note, tile_w - 40, nsize), nsize, False, MUTED)
    line = drawable(" · ".join(p for p in (business, footer) if p))
    _write(draw, (MARGIN, 572), _clip(draw, line, inner, 22), 22, False, MUTED)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
