"""Brand settings (admins): the form's validation (logo type, size, dimensions, animation, SVG with or
without script, a decompression bomb; colour contrast; reply-to), the logo re-encoded and served safely,
and the brand applied to the portal header, emails (sender, Reply-To, header) and the report pages."""

from __future__ import annotations

import io
import struct
import zlib
from email.utils import parseaddr

import pytest
from PIL import Image

from app.extensions import db
from app.models import BrandSettings, OutboxEmail
from app.services import brand
from app.services.mail import _message, queue_email

URL = "/admin/brand"


def png(size=(240, 80), colour="#0f766e", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG", **save)
    return out.getvalue()


def gif_animated(fmt: str = "GIF") -> bytes:
    """Two frames as an animated GIF, APNG (``PNG``) or WebP: each a format the form otherwise accepts."""
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def blank_png(width: int, height: int) -> bytes:
    """A 1-bit black PNG of ``width`` × ``height``: 20,000 × 20,000 is 400 million pixels in 49 KB
    (a decompression bomb, refused from its header before any pixel is decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress((b"\x00" * (1 + (width + 7) // 8)) * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def admin_client(client, factory):
    factory.admin(email="admin@example.com")
    client.login("admin@example.com")
    return client


def post(client, logo: bytes | None = None, filename: str = "logo.png", **fields):
    data = {"business_name": "", "primary_colour": "", "sender_name": "", "reply_to": "", "footer": "", "locale": ""}
    data.update(fields)
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_defaults_without_settings(app, admin_client):
    b = brand.current()
    assert (b.name, b.colour, b.has_logo, b.custom) == ("Creator Portal", "#0369a1", False, False)
    page = admin_client.get(URL).get_data(as_text=True)
    assert "<strong>Creator Portal</strong>" in page
    assert "Creator Portal · Your numbers, your milestones" in page


def test_save_applies_to_header_footer_and_reports(app, admin_client):
    resp = post(
        admin_client,
        logo=png(),
        business_name="Northwind <Coaching>",
        primary_colour="#7C2D12",
        sender_name="Northwind Coaching",
        reply_to="Hello@Northwind.example",
        footer="Growth you can show",
        locale="en_GB",
    )
    assert resp.status_code == 303
    row = db.session.get(BrandSettings, 1)
    assert (row.business_name, row.primary_colour, row.reply_to, row.locale) == (
        "Northwind <Coaching>",
        "#7c2d12",
        "Hello@northwind.example",
        "en_GB",
    )
    page = admin_client.get(URL).get_data(as_text=True)
    assert "Brand saved." in page
    assert "<strong>Northwind &lt;Coaching&gt;</strong>" in page  # escaped
    assert f'src="/brand/logo.png?v={row.logo_sha256[:12]}"' in page
    assert "--app-brand: #7c2d12;" in page
    assert "Northwind &lt;Coaching&gt; · Growth you can show" in page


def test_logo_is_re_encoded_and_served_safely(app, admin_client, client):
    original = png(size=(1200, 400), pnginfo=None)
    exif_jpeg = io.BytesIO()
    Image.new("RGB", (1200, 400), "#123456").save(exif_jpeg, "JPEG", exif=b"Exif\x00\x00secret-gps")
    assert post(admin_client, logo=exif_jpeg.getvalue(), filename="logo.jpg").status_code == 303
    row = db.session.get(BrandSettings, 1)
    assert row.logo_png.startswith(b"\x89PNG")
    assert b"secret-gps" not in row.logo_png
    assert (row.logo_width, row.logo_height) == (600, 200)  # fitted into 600 x 200
    admin_client.logout()
    resp = client.get(f"/brand/logo.png?v={row.logo_sha256[:12]}")  # public: emails and the share page
    assert resp.status_code == 200
    assert resp.mimetype == "image/png"
    assert resp.data == row.logo_png
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert "immutable" in resp.headers["Cache-Control"]
    assert original != row.logo_png


@pytest.mark.parametrize(
    ("payload", "filename", "message"),
    [
        (b"", "empty.png", None),  # no file chosen: nothing changes
        (b"x" * (1024 * 1024 + 1), "big.png", "the limit is 1 MB"),
        (b"%PDF-1.4 not an image", "logo.png", "not an image we can read"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "l.svg",
            "This SVG contains a script",
        ),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "l.svg", "contains a script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>', "l.svg", "SVG logos are not"),
        (None, "anim.gif", "Animated logos are not accepted"),
        (None, "anim.apng", "Animated logos are not accepted"),
        (None, "anim.webp", "Animated logos are not accepted"),
        (blank_png(5000, 5000), "wide.png", "5000×5000 pixels; the limit is 4000 on each side"),
        (blank_png(20_000, 20_000), "bomb.png", "far too many pixels"),
        (None, "tiny.png", "it needs at least 16"),
        (None, "bmp.bmp", "BMP images are not accepted"),
    ],
)
def test_bad_logos_are_refused_with_a_clear_message(app, admin_client, payload, filename, message):
    if filename.startswith("anim."):
        payload = gif_animated({"gif": "GIF", "apng": "PNG", "webp": "WEBP"}[filename.split(".")[1]])
    elif filename == "tiny.png":
        payload = png(size=(8, 8))
    elif filename == "bmp.bmp":
        out = io.BytesIO()
        Image.new("RGB", (64, 64)).save(out, "BMP")
        payload = out.getvalue()
    resp = post(admin_client, logo=payload or None, filename=filename, business_name="Kept")
    if message is None:
        assert resp.status_code == 303
        assert db.session.get(BrandSettings, 1).logo_png is None
        return
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert message in body
    assert 'aria-invalid="true" aria-describedby="e-logo"' in body
    assert 'value="Kept"' in body  # what was typed stays
    assert db.session.get(BrandSettings, 1) is None  # nothing stored


def test_colour_contrast_is_adjusted_with_a_message(app, admin_client):
    resp = post(admin_client, primary_colour="#ffcc00")
    assert resp.status_code == 303
    row = db.session.get(BrandSettings, 1)
    assert brand.contrast_on_white(row.primary_colour) >= 4.5
    assert brand.contrast_on_white("#ffcc00") < 1.7
    page = admin_client.get(URL).get_data(as_text=True)
    assert "#ffcc00 has a contrast of 1.5:1 on white" in page  # L = 0.2126 + 0.7152 * 0.6038: 1.05 / 0.6944
    assert f"it was darkened to {row.primary_colour}" in page


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"primary_colour": "blue"}, "A colour is written #RRGGBB", "primary_colour"),
        ({"reply_to": "not an address"}, "The reply-to address is not valid", "reply_to"),
        ({"business_name": "x" * 81}, "at most 80 characters", "business_name"),
        ({"locale": "xx"}, "Choose a report format", "locale"),
    ],
)
def test_bad_fields_are_marked(app, admin_client, fields, message, field):
    resp = post(admin_client, **fields)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert message in body
    assert f'aria-describedby="e-{field}"' in body


def test_contrast_ratios_by_hand():
    assert brand.contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert brand.contrast_on_white("#000000") == pytest.approx(21.0)
    assert brand.contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)  # the known 4.5:1 grey
    assert brand.readable_colour("#0369a1") == ("#0369a1", None)
    assert brand.normalise_colour("ABC") == "#aabbcc"


def test_only_admins(app, client, factory):
    factory.coach(email="coach@example.com")
    client.login("coach@example.com")
    assert client.get(URL).status_code in (403, 404)
    assert post(client, business_name="Mine").status_code in (403, 404)
    assert db.session.get(BrandSettings, 1) is None


def test_emails_carry_sender_name_reply_to_and_brand(app):
    brand.save(
        business_name="Northwind",
        primary_colour="#7c2d12",
        sender_name='Northwind "Coaching"',
        reply_to="hello@northwind.example",
        footer="Growth you can show",
        locale=None,
        logo=png(),
    )
    email = queue_email(
        "kenji@example.com", "invite", "invite", name="Kenji", inviter="Maya", url="https://x.example/i", hours=72
    )
    db.session.commit()
    assert email.subject == "Maya invited you to Northwind"
    assert "/brand/logo.png?v=" in email.body_html
    assert "Northwind · Growth you can show" in email.body_html
    msg = _message(db.session.get(OutboxEmail, email.id))
    name, address = parseaddr(msg["From"])
    assert name == 'Northwind "Coaching"'
    assert address == parseaddr(app.config["MAIL_FROM"])[1]
    assert msg["Reply-To"] == "hello@northwind.example"
