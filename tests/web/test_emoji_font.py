"""Emoji in captions and comments show on devices without a colour emoji font (the bundled Noto Emoji,
served from our origin, declared last in the emoji font stack, fetched only for emoji code points)."""

from __future__ import annotations

import re
from typing import Any


def test_the_emoji_font_is_declared_and_served_from_our_origin(client: Any) -> None:
    css = client.get("/static/css/app.css").get_data(as_text=True)
    face = re.search(r"@font-face\s*{[^}]*\"Portal Emoji\"[^}]*}", css)
    assert face is not None
    assert 'url("../vendor/fonts/NotoEmoji-Regular.ttf")' in face.group(0)
    assert "U+1F000-1FAFF" in face.group(0)  # only pages holding an emoji download it
    stack = re.search(r"--pico-font-family-emoji:([^;]*);", css)
    assert stack is not None
    assert stack.group(1).strip().endswith('"Portal Emoji"')  # the device's own emoji fonts first
    font = client.get("/static/vendor/fonts/NotoEmoji-Regular.ttf")
    assert font.status_code == 200
    assert font.data[:4] == b"\x00\x01\x00\x00"  # a TrueType font, not an error page
