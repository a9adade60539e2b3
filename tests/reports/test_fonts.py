"""The PDF fonts come from the npm registry at set-up (dejavu-fonts-ttf -> static/vendor/fonts), not
from hand-copied files in git; non-Latin names still render and read back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from app.reports import pdf

ROOT = Path(__file__).resolve().parents[2]


def test_fonts_are_built_from_the_npm_package_not_committed():
    deps = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert "dejavu-fonts-ttf" in deps
    assert "dejavu-fonts-ttf/ttf/DejaVuSans.ttf" in (ROOT / "scripts" / "build-assets.mjs").read_text()
    assert pdf.FONT_DIR == ROOT / "static" / "vendor" / "fonts"
    assert "static/vendor/" in (ROOT / ".gitignore").read_text().splitlines()
    tracked = subprocess.run(
        ["git", "ls-files", "*.ttf"],
        cwd=ROOT,
        capture_output=True,
        text=True,  # noqa: S607
        check=True,
    ).stdout.split()
    assert tracked == []
    for name in pdf.FONTS:
        assert (pdf.FONT_DIR / name).is_file()
        assert pdf.link_callback(f"static:fonts/{name}") == str(pdf.FONT_DIR / name)
    assert 0x0645 in pdf._covered()
    assert 0x00EB in pdf._covered()
