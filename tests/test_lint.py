"""The house rules are part of the suite: ruff (with bandit and complexity rules) and mypy on app/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_is_clean():
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "app", "tests", "worker.py", "wsgi.py", "gunicorn.conf.py", "scripts", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    """One mechanical style: ``ruff format`` (its commit is listed in .git-blame-ignore-revs)."""
    result = subprocess.run([str(BIN / "ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    result = subprocess.run([str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept():
    """Layers point one way, no package has a circle, the sandbox is reached over HTTP only."""
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("app/models/goal.py", "from app.web import register_web", "Layers point one way"),
        ("app/sync/engine.py", "from app.jobs import sync as sync_jobs", "Layers point one way"),
        ("app/services/mail.py", "from app.alerts import service as alerts", "Layers point one way"),
        ("app/stats/query.py", "from app.services.clients import visible_clients", "Layers point one way"),
        ("app/cli.py", "from app.sandbox.demo import seed_demo", "Nothing imports the sandbox"),
        ("app/services/tokens.py", "from app.services import oauth", "No circles between the modules"),
    ],
)
def test_an_upward_import_breaks_the_contracts(tmp_path, module, line, contract):
    """The contracts can fail: a copy of the tree with one forbidden import added is refused."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode != 0, result.stdout
    verdicts = [ln for ln in result.stdout.splitlines() if ln.startswith(contract)]
    assert verdicts, result.stdout
    assert " BROKEN" in verdicts[0], result.stdout


def test_no_product_module_is_over_600_lines():
    """Modules say what they hold: a module past 600 lines holds several things (the sandbox, which
    plays whole platforms, is exempt)."""
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "app").rglob("*.py")
        if "sandbox" not in path.relative_to(ROOT / "app").parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}


def test_htmx_triggers_listen_to_their_own_elements_only():
    """``from:select`` in ``hx-trigger`` is a document-wide selector in htmx 2: a filter form written
    that way also fires when another form's select changes, and its pushed address (without the other
    form's choice) can overwrite the other's. Triggers name their elements by id (or body/document)."""
    import re

    loose = []
    for path in (ROOT / "templates").rglob("*.html"):
        for trigger in re.findall(r'hx-trigger="([^"]*)"', path.read_text(encoding="utf-8")):
            for target in re.findall(r"from:(\S+?)(?:,|\s|$)", trigger):
                if not (target.startswith(("#", ".sel-auto")) or target in {"body", "document", "window"}):
                    loose.append((str(path.relative_to(ROOT)), target))
    assert loose == []
