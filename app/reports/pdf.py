"""HTML -> PDF with xhtml2pdf that can read nothing but our packaged fonts and inline charts (W7).

* ``link_callback`` resolves ``static:fonts/<name>`` to the installed TTFs and ``data:image/...`` URIs
  (the charts) below a size limit; everything else (``file:``, ``http(s):``, relative paths from a
  caption that escaped into markup) resolves to nothing, so xhtml2pdf fetches nothing.
* Where the installed xhtml2pdf has a ``ResourceAccessPolicy``, it is also used: no remote fetches,
  local reads confined to ``static/vendor/fonts``, and a render time limit.
* DejaVu Sans (npm package ``dejavu-fonts-ttf``, copied into ``static/vendor/fonts`` by
  ``scripts/build-assets.mjs`` at set-up; Bitstream Vera licence) covers Latin, Greek, Cyrillic,
  Arabic and Hebrew. Runs of characters DejaVu lacks but Noto Sans SC has (Chinese, Japanese kana and
  kanji; npm ``@expo-google-fonts/noto-sans-sc``, SIL OFL) are wrapped in spans set in that font, which
  is embedded as a subset (a reader without CJK fonts still sees the glyphs, and text extracts as
  Unicode); the body's family list (``Body, Cjk``) catches text written into the template without
  ``pdf_text`` (a date in Japanese). Its @font-face rules are dropped from documents without a
  character only it has, so a Latin-only report never loads the 10 MB font. Characters no font has
  (emoji: reportlab cannot encode characters beyond U+FFFF; Hangul: not in the SC font) become
  ``:name:`` text, so a name or caption never turns into empty boxes.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "vendor" / "fonts"
FONTS = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"}
CJK_FILE = "NotoSansSC-Regular.ttf"
#: the @font-face rules of templates/reports/pdf.html for the CJK fallback, between these two comments
CJK_FACES = re.compile(r"/\* cjk-faces \*/.*?/\* end cjk-faces \*/", re.S)
MAX_DATA_URI = 2 * 1024 * 1024
RENDER_SECONDS = 60
#: the largest packaged font (Noto Sans SC, 10.5 MB); reads stay confined to the font folder
MAX_FONT_BYTES = 16 * 1024 * 1024


class PdfError(Exception):
    """xhtml2pdf reported errors: the document is not trusted to be a complete PDF."""


def link_callback(uri: str, rel: str | None = None) -> str:
    """Only packaged fonts and inline images; every other reference resolves to nothing."""
    if uri.startswith("static:fonts/"):
        name = uri.removeprefix("static:fonts/")
        if name in FONTS:
            return str(FONT_DIR / name)
    elif uri.startswith(("data:image/svg+xml", "data:image/png")) and len(uri) <= MAX_DATA_URI:
        return uri
    log.warning("pdf resource refused", extra={"event": "pdf_resource_refused", "uri": uri[:80]})
    return ""


@lru_cache(maxsize=8)
def coverage(name: str) -> frozenset[int]:
    """Code points the packaged font ``name`` has glyphs for."""
    from reportlab.pdfbase.ttfonts import TTFont

    path = FONT_DIR / name
    if not path.exists():
        raise PdfError(f"{path} is missing: run `make setup` (npm run build copies the fonts)")
    font = TTFont(f"Probe-{name}", str(path))
    return frozenset(font.face.charToGlyph)


def _covered() -> frozenset[int]:
    """Code points DejaVu Sans has glyphs for."""
    return coverage("DejaVuSans.ttf")


def cjk_covered() -> frozenset[int]:
    """Code points of the CJK fallback font (Noto Sans SC)."""
    return coverage(CJK_FILE)


def _is_cjk(cp: int) -> bool:
    return (
        0x3000 <= cp <= 0x30FF
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x1100 <= cp <= 0x11FF
        or 0x3130 <= cp <= 0x318F
    )


def _fallback(ch: str) -> str:
    cp = ord(ch)
    if cp in (0x200D, 0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF:  # joiners, selectors, skin tones
        return ""
    name = unicodedata.name(ch, "")
    return f":{name.lower()}:" if name else "?"


#: reportlab breaks lines at spaces only: a longer run without one (a handle, a URL, a CJK name, whose
#: characters are twice as wide) gets a space every this many characters, so it wraps inside its cell
#: instead of running past the page or into the next column
LONG_RUN, LONG_CJK_RUN = 32, 20
_LONG = re.compile(rf"\S{{{LONG_CJK_RUN + 1},}}")


def _split(run: str) -> str:
    size = LONG_CJK_RUN if any(_is_cjk(ord(ch)) for ch in run) else LONG_RUN
    return " ".join(run[i : i + size] for i in range(0, len(run), size))


def _breakable(text: str) -> str:
    return _LONG.sub(lambda m: _split(m[0]), text)


def pdf_text(value: Any) -> Markup:
    """Escape ``value`` for the PDF and route each run of characters to a font that has it."""
    text = _breakable("" if value is None else str(value))
    covered, fallback = _covered(), cjk_covered()
    out: list[str] = []
    cjk: list[str] = []

    def flush() -> None:
        if cjk:
            out.append(f'<span class="cjk">{escape("".join(cjk))}</span>')
            cjk.clear()

    for ch in text:
        cp = ord(ch)
        if (cp in covered and cp <= 0xFFFF) or ch in "\n\t ":  # reportlab mis-encodes astral glyphs
            flush()
            out.append(str(escape(ch)))
        elif cp in fallback and cp <= 0xFFFF:
            cjk.append(ch)
        else:
            flush()
            out.append(str(escape(_fallback(ch))))
    flush()
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


def needs_fallback(html: str) -> bool:
    """Whether ``html`` has a character only the CJK font has (a caption, or a date in Japanese that
    Babel wrote straight into the template): the fallback font is then loaded, else not."""
    main, cjk = _covered(), cjk_covered()
    return any(ord(ch) not in main and ord(ch) in cjk for ch in set(html))


def _policy() -> Any:
    try:
        from xhtml2pdf.config.resources import ResourceAccessPolicy
    except ImportError:  # older xhtml2pdf: the link_callback alone guards fetches
        return None
    return ResourceAccessPolicy(
        allow_remote=False, base_dir=FONT_DIR, max_local_bytes=MAX_FONT_BYTES, max_render_seconds=RENDER_SECONDS
    )


def render_pdf(html: str) -> bytes:
    """The PDF of ``html``; :raises PdfError: when xhtml2pdf reports an error (never a broken file)."""
    from xhtml2pdf import pisa

    if not needs_fallback(html):
        html = CJK_FACES.sub("", html)
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {"dest": buf, "link_callback": link_callback, "encoding": "utf-8"}
    policy = _policy()
    if policy is not None:
        kwargs["resource_policy"] = policy
    status = pisa.CreatePDF(html, **kwargs)
    data = buf.getvalue()
    if status.err or not data.startswith(b"%PDF"):
        raise PdfError(f"PDF rendering failed ({status.err} errors)")
    return data
