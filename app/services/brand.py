"""The coaching business's brand: read (with defaults), validated and saved from the admin page.

* **Logo**: PNG, JPEG, WebP or a still GIF, at most ``MAX_LOGO_BYTES`` and ``MAX_LOGO_SIDE`` pixels a
  side (checked from the header before any pixel is decoded, so a decompression bomb is refused
  unread), re-encoded by Pillow as a PNG at most ``STORED_LOGO`` in size: the stored bytes are ours, no
  metadata, no second payload. SVG is refused (it can carry scripts), as are animations and anything
  Pillow cannot read; each with a message that says what to upload instead.
* **Colour**: ``#rrggbb``; one with less than 4.5:1 contrast on white (the colour is used for text,
  links and white-on-colour buttons) is darkened until it has it, and the message says so.
* **Sender name / reply-to**: the display name of outgoing mail (the address stays ``MAIL_FROM``'s)
  and a validated Reply-To address.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import g, has_request_context

from app.errors import ValidationFailed
from app.extensions import db
from app.models import BrandSettings

DEFAULT_NAME = "Creator Portal"
DEFAULT_COLOUR = "#0369a1"  # the site's own accent (7.0:1 on white)
DEFAULT_FOOTER = "Your numbers, your milestones"
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_SIDE = 4000
MIN_LOGO_SIDE = 16
STORED_LOGO = (600, 200)  # the largest box the stored PNG fits in
MIN_CONTRAST = 4.5
FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
#: the formats a business can choose for its reports' dates and numbers (the words stay English)
LOCALES: dict[str, str] = {
    "en": "English (US): Nov 9, 2026 · 1,234.5",
    "en_GB": "English (UK): 9 Nov 2026 · 1,234.5",
    "en_IE": "English (Ireland): 9 Nov 2026 · 1,234.5",
    "en_AU": "English (Australia): 9 Nov 2026 · 1,234.5",
    "en_CA": "English (Canada): Nov 9, 2026 · 1,234.5",
    "en_IN": "English (India): 9 Nov 2026 · 1,234.5",
    "en_ZA": "English (South Africa): 09 Nov 2026 · 1 234,5",
    "de": "Deutsch: 09.11.2026 · 1.234,5",
    "fr": "Français: 9 nov. 2026 · 1 234,5",
    "es": "Español: 9 nov 2026 · 1.234,5",
    "ja": "日本語: 2026/11/09 · 1,234.5",
}
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    footer: str
    sender_name: str | None
    reply_to: str | None
    locale: str | None
    logo_version: str | None  # the first 12 hex digits of the logo's SHA-256 (None: no logo)
    logo_size: tuple[int, int] | None
    custom: bool  # anything set at all

    @property
    def has_logo(self) -> bool:
        return self.logo_version is not None


#: the brand of the batch in progress (``held``); None outside one
_held: ContextVar[Brand | None] = ContextVar("brand_held", default=None)


def _row() -> BrandSettings | None:
    return db.session.get(BrandSettings, 1)


def _from_row(row: BrandSettings | None) -> Brand:
    if row is None:
        return Brand(DEFAULT_NAME, DEFAULT_COLOUR, DEFAULT_FOOTER, None, None, None, None, None, False)
    size = (row.logo_width, row.logo_height) if row.logo_width and row.logo_height else None
    return Brand(
        name=row.business_name or DEFAULT_NAME,
        colour=row.primary_colour or DEFAULT_COLOUR,
        footer=row.footer if row.footer is not None else DEFAULT_FOOTER,
        sender_name=row.sender_name,
        reply_to=row.reply_to,
        locale=row.locale,
        logo_version=row.logo_sha256[:12] if row.logo_sha256 and row.logo_png else None,
        logo_size=size,
        custom=True,
    )


def current() -> Brand:
    """The brand, with defaults for what is not set; read once per request (``g``). Outside a request
    (a job) it is read each time (the session's identity map makes a repeat free), so a long-lived
    worker never keeps an old brand."""
    if has_request_context() and "brand" in g:
        cached: Brand = g.brand
        return cached
    if (kept := _held.get()) is not None:
        return kept
    brand = _from_row(_row())
    if has_request_context():
        g.brand = brand
    return brand


@contextmanager
def held() -> Iterator[Brand]:
    """The brand read once for a batch of work outside a request (a weekly chunk: many reports' numbers
    and emails, each of which read it six times); ``current`` returns it until the block ends, so a brand
    saved meanwhile applies from the next batch."""
    token = _held.set(_from_row(_row()))
    try:
        yield _held.get() or _from_row(None)
    finally:
        _held.reset(token)


def logo_png() -> bytes | None:
    row = _row()
    return row.logo_png if row is not None else None


# ---------------------------------------------------------------- colour


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else float(((s + 0.055) / 1.055) ** 2.4)


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of ``#rrggbb`` against white (1.0 .. 21.0)."""
    r, gr, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * _channel(r) + 0.7152 * _channel(gr) + 0.0722 * _channel(b)
    return 1.05 / (lum + 0.05)


def normalise_colour(raw: str) -> str:
    """``#abc`` / ``abc`` / ``#AABBCC`` -> ``#aabbcc``; :raises ValidationFailed: otherwise."""
    m = _HEX.match(raw.strip())
    if m is None:
        raise ValidationFailed("A colour is written #RRGGBB, for example #0369a1.", field="primary_colour")
    hex6 = m.group(1).lower()
    if len(hex6) == 3:
        hex6 = "".join(ch * 2 for ch in hex6)
    return "#" + hex6


def readable_colour(raw: str) -> tuple[str, str | None]:
    """The colour, darkened in 2 % steps until it has ``MIN_CONTRAST`` on white; the message says so."""
    colour = normalise_colour(raw)
    ratio = contrast_on_white(colour)
    if ratio >= MIN_CONTRAST:
        return colour, None
    r, gr, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    factor = 1.0
    adjusted = colour
    while contrast_on_white(adjusted) < MIN_CONTRAST:
        factor -= 0.02
        adjusted = "#{:02x}{:02x}{:02x}".format(*(max(0, int(v * factor)) for v in (r, gr, b)))
    return adjusted, (
        f"{colour} has a contrast of {ratio:.1f}:1 on white, under the {MIN_CONTRAST}:1 text needs; "
        f"it was darkened to {adjusted} ({contrast_on_white(adjusted):.1f}:1)."
    )


# ---------------------------------------------------------------- logo


@dataclass(frozen=True)
class Logo:
    png: bytes
    width: int
    height: int


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def validate_logo(data: bytes) -> Logo:
    """Check an uploaded logo and re-encode it as PNG; :raises ValidationFailed: with the reason."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationFailed("Choose an image file for the logo.", field="logo")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed(
            f"The logo is {len(data) / 1024 / 1024:.1f} MB; the limit is 1 MB. Export a smaller PNG.", field="logo"
        )
    if _looks_like_svg(data):
        script = re.search(rb"<script|\son[a-z]+\s*=|javascript:", data, re.I) is not None
        reason = "This SVG contains a script, and SVG logos" if script else "SVG logos"
        raise ValidationFailed(
            f"{reason} are not accepted (an SVG can run scripts): upload a PNG, JPEG or WebP instead.", field="logo"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
            fmt = img.format or ""
            width, height = img.size
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValidationFailed(
                f"The logo has far too many pixels: the limit is {MAX_LOGO_SIDE} on each side.", field="logo"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise ValidationFailed(
                "This file is not an image we can read: upload a PNG, JPEG or WebP.", field="logo"
            ) from None
        if fmt not in FORMATS:
            raise ValidationFailed(
                f"{fmt or 'This'} images are not accepted: upload a PNG, JPEG or WebP.", field="logo"
            )
        if max(width, height) > MAX_LOGO_SIDE:
            raise ValidationFailed(
                f"The logo is {width}×{height} pixels; the limit is {MAX_LOGO_SIDE} on each side.", field="logo"
            )
        if min(width, height) < MIN_LOGO_SIDE:
            raise ValidationFailed(
                f"The logo is {width}×{height} pixels; it needs at least {MIN_LOGO_SIDE} on each side.", field="logo"
            )
        if getattr(img, "is_animated", False) or getattr(img, "n_frames", 1) > 1:
            raise ValidationFailed("Animated logos are not accepted: upload a still image.", field="logo")
        try:
            img.load()
            rgba = img.convert("RGBA")
        except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValidationFailed("This image is damaged and cannot be read: export it again.", field="logo") from None
    rgba.thumbnail(STORED_LOGO)
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return Logo(out.getvalue(), rgba.width, rgba.height)


# ---------------------------------------------------------------- save


def _text(raw: str | None, limit: int, label: str, field: str) -> str | None:
    value = " ".join((raw or "").split())
    if len(value) > limit:
        raise ValidationFailed(f"The {label} is at most {limit} characters.", field=field)
    return value or None


@dataclass(frozen=True)
class Saved:
    brand: Brand
    notes: tuple[str, ...]  # e.g. the colour was darkened


def save(
    *,
    business_name: str | None,
    primary_colour: str | None,
    sender_name: str | None,
    reply_to: str | None,
    footer: str | None,
    locale: str | None,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Saved:
    """Validate everything first, then store it in one commit (a bad field stores nothing)."""
    notes: list[str] = []
    name = _text(business_name, 80, "business name", "business_name")
    sender = _text(sender_name, 80, "sender name", "sender_name")
    foot = _text(footer, 200, "footer line", "footer")
    colour = None
    if primary_colour and primary_colour.strip():
        colour, note = readable_colour(primary_colour)
        if note:
            notes.append(note)
    reply = None
    if reply_to and reply_to.strip():
        try:
            reply = validate_email(reply_to.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValidationFailed(f"The reply-to address is not valid: {exc}", field="reply_to") from None
    loc = locale or None
    if loc is not None and loc not in LOCALES:
        raise ValidationFailed("Choose a report format from the list.", field="locale")
    new_logo = validate_logo(logo) if logo is not None else None
    row = _row() or BrandSettings(id=1)
    row.business_name, row.primary_colour, row.sender_name = name, colour, sender
    row.reply_to, row.footer, row.locale = reply, foot, loc
    if new_logo is not None:
        row.logo_png, row.logo_width, row.logo_height = new_logo.png, new_logo.width, new_logo.height
        row.logo_sha256 = hashlib.sha256(new_logo.png).hexdigest()
    elif remove_logo:
        row.logo_png = row.logo_width = row.logo_height = row.logo_sha256 = None
    db.session.add(row)
    db.session.commit()
    if has_request_context():
        g.pop("brand", None)
    return Saved(current(), tuple(notes))
