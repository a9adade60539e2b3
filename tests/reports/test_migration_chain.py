"""Migrations form one chain (exactly one head) and never import app code."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def test_exactly_one_head_and_no_app_imports():
    cfg = Config()
    cfg.set_main_option("script_location", str(VERSIONS.parent))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1, script.get_heads()
    assert script.get_revision("0007_reports") is not None
    for path in VERSIONS.glob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+app\b", path.read_text(), re.M), path.name
