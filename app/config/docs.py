"""The configuration documentation generated from the declaration: the README's tables and
``.env.example`` (``flask --app wsgi config-table --write``); a test fails when either drifts."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from app.config.setting import Setting
from app.config.table import GROUPS, SETTINGS

README_BEGIN = "<!-- config-table: generated from app/config/table.py by `flask --app wsgi config-table --write` -->"
README_END = "<!-- /config-table -->"


def _shown(value: Any) -> str:
    """A default as it would be written in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _type(s: Setting) -> str:
    kind = {"url": "URL", "choice": "choice", "list": "list", "map": "map"}.get(s.kind, s.kind)
    bounds = []
    if s.minimum is not None:
        bounds.append(f">= {s.minimum:g}")
    if s.maximum is not None:
        bounds.append(f"<= {s.maximum:g}")
    return f"{kind} ({', '.join(bounds)})" if bounds else kind


def _grouped() -> list[tuple[str, list[Setting]]]:
    return [(title, [s for s in SETTINGS if s.group == group]) for group, title in GROUPS]


def settings_table_markdown() -> str:
    """The configuration tables (one per group) as Markdown, for the README."""
    parts: list[str] = []
    for title, items in _grouped():
        rows = [f"### {title}", "", "| variable | type | default | meaning |", "|---|---|---|---|"]
        for s in items:
            default = f"`{_shown(s.default)}`" if s.default is not None else "unset"
            rows.append(f"| `{s.name}` | {_type(s)} | {default} | {s.help} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def env_example() -> str:
    """The text of ``.env.example``: every variable, commented out at its default."""
    lines = [
        "# Creator Portal: every environment variable, at its default (commented out).",
        "# Generated from app/config/table.py by `flask --app wsgi config-table --write`; do not edit by hand.",
        "# Copy to .env and uncomment what you change. Secrets left unset are generated once into",
        "# instance/secrets.json. The README's Configuration section explains each group.",
    ]
    for title, items in _grouped():
        lines += ["", "", f"# ===== {title.replace('`', '')} " + "=" * max(3, 88 - len(title))]
        for s in items:
            lines.append("")
            lines += textwrap.wrap(f"{s.help} [{_type(s)}]", 98, initial_indent="# ", subsequent_indent="# ")
            value = "" if s.default is None else _shown(s.default)
            if re.search(r"[\s#\"'<>]", value):
                value = '"' + value.replace('"', '\\"') + '"'
            lines.append(f"# {s.name}={value}")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the config-table markers replaced by the generated tables."""
    start, end = readme.find(README_BEGIN), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError("README.md has no config-table markers")
    return readme[: start + len(README_BEGIN)] + "\n\n" + settings_table_markdown() + "\n\n" + readme[end:]


def write_generated(root: Path) -> list[Path]:
    """Rewrite ``README.md``'s configuration tables and ``.env.example`` under ``root``; the changed files."""
    changed = []
    targets = {
        root / "README.md": readme_with_table((root / "README.md").read_text(encoding="utf-8")),
        root / ".env.example": env_example(),
    }
    for path, text in targets.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
