"""xhtml2pdf's per-render font hashing, kept per file (issue 17's speed line).

The installed xhtml2pdf (0.2.28) hashes (MD5) every font file a document declares, on every render, before
it looks whether that font is already registered: it tells two files declared under one family apart.
For a report with a CJK name that is Noto Sans SC's two 10.5 MB files each time, ~60 ms of a ~160 ms warm
weekly render (profile, 2026-12-02). ``install`` keeps each file's digest per (path, size, modification
time): a replaced font file has a new key and is hashed again, so the answer is the one xhtml2pdf would
compute. Once per process, before the first render; a no-op on an xhtml2pdf without that function.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_installed = False
_lock = threading.Lock()
_digests: dict[tuple[str, int, int], str | None] = {}


def kept(original: Callable[[str | None], str | None]) -> Callable[[str | None], str | None]:
    """``original`` (xhtml2pdf's ``_file_digest``) memoised per file version."""

    def digest(name: str | None) -> str | None:
        if name is None:
            return original(name)
        try:
            stat = os.stat(name)
        except OSError:
            return original(name)
        key = (str(name), stat.st_size, stat.st_mtime_ns)
        with _lock:
            if key in _digests:
                return _digests[key]
        value = original(name)
        with _lock:
            _digests[key] = value
        return value

    return digest


def install() -> None:
    """Route xhtml2pdf's font hashing through ``kept`` (once per process)."""
    global _installed
    if _installed:
        return
    from xhtml2pdf import context

    original = getattr(context, "_file_digest", None)
    if original is not None:
        context._file_digest = kept(original)  # noqa: SLF001 - the function registerTTFont calls
    _installed = True
