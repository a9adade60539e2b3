"""HTML -> PDF with xhtml2pdf that can read nothing but our packaged fonts and inline charts (W7).

* ``link_callback`` resolves ``static:fonts/<name>`` to the installed TTFs and ``data:image/...`` URIs
  (the charts) below a size limit; everything else (``file:``, ``http(s):``, relative paths from a
  caption that escaped into markup) resolves to nothing, so xhtml2pdf fetches nothing.
* Where the installed xhtml2pdf has a ``ResourceAccessPolicy``, it is also used: no remote fetches,
  local reads confined to ``static/vendor/fonts``, and a render time limit.
* DejaVu Sans (npm package ``dejavu-fonts-ttf``, copied into ``static/vendor/fonts`` by
  ``scripts/build-assets.mjs`` at set-up; Bitstream Vera licence) covers Latin, Greek, Cyrillic,
  Arabic and Hebrew. The fallbacks (``FALLBACKS``, SIL OFL, npm ``@expo-google-fonts/noto-sans-sc``
  and ``-kr``, ``@expo-google-fonts/noto-emoji``): Noto Sans SC (Chinese, Japanese kana and kanji), then
  Noto Sans KR (Hangul), then monochrome Noto Emoji. Runs of
  characters DejaVu lacks but a fallback has are wrapped in ``<span class="cjk">``; xhtml2pdf's family
  lists (``.cjk`` and ``body``: ``Body, Cjk, Kr``) pick the font per character, and each font used is
  embedded as a subset (a reader without CJK fonts still sees the glyphs, and text extracts as Unicode);
  the body's list also catches text written into the template without ``pdf_text`` (a date in
  Japanese). The fallbacks' @font-face rules are written into the document only for the fonts its
  characters need (``fallback_css``), so a Latin-only report never loads a 6-10 MB font. Emoji print
  as Noto Emoji's black-and-white glyphs (``pdf_unicode`` corrects ReportLab's text map so they also
  copy as emoji); joiners, selectors and skin tones are left out (a family emoji prints as its people).
  Characters no font has become ``:name:`` text, so a name or caption never turns into empty boxes.
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
#: (family, regular file, bold file) of each fallback font, in the order they are tried after DejaVu
FALLBACKS = (
    ("Cjk", "NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"),
    ("Kr", "NotoSansKR-Regular.ttf", "NotoSansKR-Bold.ttf"),
    ("Emoji", "NotoEmoji-Regular.ttf", "NotoEmoji-Regular.ttf"),
)
FONTS = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", *(f for _, r, b in FALLBACKS for f in (r, b))}
#: where templates/reports/pdf.html takes the fallback fonts' rules (``fallback_css``)
FALLBACK_MARK = "/* fallback-faces */"
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


@lru_cache(maxsize=1)
def cjk_covered() -> frozenset[int]:
    """Code points some fallback font has (the union kept: ``pdf_text`` asks for each text of a report,
    and re-uniting the fallbacks' ~40,000 code points took ~1 ms each time)."""
    return frozenset().union(*(coverage(regular) for _, regular, _bold in FALLBACKS))


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
        or 0x1F000 <= cp <= 0x1FAFF  # emoji: as wide as a CJK character
    )


def _invisible(cp: int) -> bool:
    """Joiners, variation selectors, the keycap and skin tones: they combine emoji into one picture in a
    colour font; drawn one by one in a PDF they would be stray glyphs, so they are left out."""
    return cp in (0x200D, 0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF


def _fallback(ch: str) -> str:
    cp = ord(ch)
    if _invisible(cp):
        return ""
    name = unicodedata.name(ch, "")
    return f":{name.lower()}:" if name else "?"


#: reportlab breaks lines at spaces only: a longer run without one (a handle, a URL, a CJK name, whose
#: characters are twice as wide) gets a space every this many characters, so it wraps inside its cell
#: instead of running past the page or into the next column
LONG_RUN, LONG_CJK_RUN = 32, 20
#: the cover's 22-pt bold name: 18 of its widest letters ("W", 1.03 em) take 408 pt of the 504-pt text width
HEADING_RUN = 18
_LONG = re.compile(rf"\S{{{LONG_CJK_RUN + 1},}}")


def _split(run: str, longest: int) -> str:
    size = min(longest, LONG_CJK_RUN) if any(_is_cjk(ord(ch)) for ch in run) else longest
    if len(run) <= size:
        return run
    return " ".join(run[i : i + size] for i in range(0, len(run), size))


def _breakable(text: str, longest: int = LONG_RUN) -> str:
    pattern = _LONG if longest >= LONG_CJK_RUN else re.compile(rf"\S{{{longest + 1},}}")
    return pattern.sub(lambda m: _split(m[0], longest), text)


def pdf_text(value: Any, longest: int = LONG_RUN) -> Markup:
    """Escape ``value`` for the PDF and route each run of characters to a font that has it; a run of more
    than ``longest`` characters without a space gets one every ``longest`` (a heading's large letters
    need a shorter run: ``HEADING_RUN``)."""
    text = _breakable("" if value is None else str(value), longest)
    covered, fallback = _covered(), cjk_covered()
    out: list[str] = []
    cjk: list[str] = []

    def flush() -> None:
        if cjk:
            out.append(f'<span class="cjk">{escape("".join(cjk))}</span>')
            cjk.clear()

    for ch in text:
        cp = ord(ch)
        if cp in covered or ch in "\n\t ":
            flush()
            out.append(str(escape(ch)))
        elif cp in fallback and not _invisible(cp):
            cjk.append(ch)
        else:
            flush()
            out.append(str(escape(_fallback(ch))))
    flush()
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


def fallback_css(html: str) -> str:
    """The @font-face and family rules for the fallback fonts ``html``'s characters need (a caption, or a
    date in Japanese that Babel wrote straight into the template); empty when DejaVu has them all."""
    main = _covered()
    missing = {ord(ch) for ch in set(html)} - main
    if not missing:
        return ""
    rules, families = [], []
    for family, regular, bold in FALLBACKS:
        if missing & coverage(regular):
            rules.append(f"@font-face {{ font-family: {family}; src: url('static:fonts/{regular}'); }}")
            rules.append(f"@font-face {{ font-family: {family}; src: url('static:fonts/{bold}'); font-weight: bold; }}")
            families.append(family)
    if not families:
        return ""
    chain = ", ".join(families)
    return "\n".join([*rules, f".cjk {{ font-family: {chain}, Body; }}", f"body {{ font-family: Body, {chain}; }}"])


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

    from app.reports import pdf_digest, pdf_drawings, pdf_unicode

    pdf_digest.install()
    pdf_drawings.install()
    pdf_unicode.install()
    html = html.replace(FALLBACK_MARK, fallback_css(html), 1)
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
