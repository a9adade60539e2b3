"""docs/requirements.md lists every requirement tag the code cites, and the tests it names exist.

Tags such as ``(J7)``, ``(T1-T5)`` or ``O3:`` refer to the checklist of
``../shared/reference/security-and-reliability.md`` (outside the repository). They are collected from
comments and docstrings of the tests, from every string and comment of the product code (``app/``,
``worker.py``, ``wsgi.py``, ``scripts/``: error messages cite tags too), from the Markdown docs and from
template comments. A range ``T1-T5`` stands for each tag in it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "docs" / "requirements.md"
REFERENCE = ROOT.parent / "shared" / "reference" / "security-and-reliability.md"

#: a tag (the checklist's letters O T A W J D P and a number without a leading zero) or a range of
#: tags; not part of a longer word or name (``HeiseiKakuGo-W5`` is a font, ``T07:00`` a time)
TAG = re.compile(r"(?<![\w-])([OTAWJDP])([1-9][0-9]?)(?:-\1?([1-9][0-9]?))?(?![\w-])")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
LISTED = re.compile(r"^\| \*\*([OTAWJDP][1-9][0-9]?)\*\* \| (.+?) \| (.+?) \|$", re.M)


def tags_in(text: str) -> set[str]:
    found = set()
    for letter, first, last in TAG.findall(text):
        for number in range(int(first), int(last or first) + 1):
            found.add(f"{letter}{number}")
    return found


def _python_text(path: Path, *, all_strings: bool) -> str:
    """Comments and docstrings (or every string literal) of a Python file."""
    source = path.read_text(encoding="utf-8")
    parts = [
        tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT
    ]
    tree = ast.parse(source)
    if all_strings:
        parts += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    else:
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                parts.append(ast.get_docstring(node) or "")
    return "\n".join(parts)


def cited_tags() -> dict[str, set[str]]:
    """Tag -> the files citing it."""
    texts: dict[Path, str] = {}
    product = [*(ROOT / "app").rglob("*.py"), ROOT / "worker.py", ROOT / "wsgi.py", *(ROOT / "scripts").glob("*.py")]
    for path in product:
        texts[path] = _python_text(path, all_strings=True)
    for path in (ROOT / "tests").rglob("*.py"):
        texts[path] = _python_text(path, all_strings=False)
    for path in [*(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "bench" / "README.md"]:
        if path != REQUIREMENTS:
            texts[path] = path.read_text(encoding="utf-8")
    for path in (ROOT / "templates").rglob("*.html"):
        comments = re.findall(r"\{#.*?#\}|<!--.*?-->", path.read_text(encoding="utf-8"), re.S)
        texts[path] = "\n".join(comments)
    cited: dict[str, set[str]] = {}
    for path, text in texts.items():
        for tag in tags_in(text):
            cited.setdefault(tag, set()).add(str(path.relative_to(ROOT)))
    return cited


def listed() -> dict[str, tuple[str, str]]:
    """Tag -> (property, proven by) as docs/requirements.md lists them."""
    text = REQUIREMENTS.read_text(encoding="utf-8")
    rows = LISTED.findall(text)
    assert len(rows) == len({tag for tag, _, _ in rows}), "a tag is listed twice"
    return {tag: (prop, proof) for tag, prop, proof in rows}


def test_tag_syntax():
    assert tags_in("(J7, J8) O1-O9 T1-T4 J6/J7: W10") == {
        *(f"O{n}" for n in range(1, 10)),
        *(f"T{n}" for n in range(1, 5)),
        "J6",
        "J7",
        "J8",
        "W10",
    }
    assert tags_in("HeiseiKakuGo-W5, T07:00:00, W0, M1, the A4 sheet's (A4)") == {"A4"}


def test_every_tag_the_code_cites_is_listed():
    cited, known = cited_tags(), listed()
    assert {"J7", "T4", "O3", "A1", "W3", "P1"} <= set(cited)  # the scan sees the tags it is about
    missing = {tag: sorted(files) for tag, files in cited.items() if tag not in known}
    assert not missing, f"cited but not in docs/requirements.md: {missing}"


def test_every_listed_tag_has_a_property_and_tests_that_exist():
    for tag, (prop, proof) in listed().items():
        refs = TEST_REF.findall(proof)
        assert prop.strip(), tag
        assert refs, tag
        for file, name in refs:
            path = ROOT / file
            assert path.exists(), f"{tag}: {file} does not exist"
            assert re.search(rf"^(async )?def {name}\(", path.read_text(encoding="utf-8"), re.M), (
                f"{tag}: {file}::{name}"
            )


@pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference is not beside this checkout")
def test_listed_properties_are_the_reference_checklist_titles():
    titles = dict(re.findall(r"^- \*\*([OTAWJDP][1-9][0-9]?): (.+?)\.?\*\*$", REFERENCE.read_text(), re.M))
    for tag, (prop, _) in listed().items():
        assert tag in titles, f"{tag} is not in the reference checklist"
        assert prop.rstrip(".") == titles[tag].rstrip("."), tag
