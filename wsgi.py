"""WSGI entry point: ``gunicorn wsgi:app`` in production, ``flask --app wsgi run`` in development.

A serving process runs the preflight checks (``app/preflight.py``) and refuses to start when they
fail; other ``flask --app wsgi`` commands (``db upgrade``, ``tokens rotate``, ...) skip them so an
operator can still repair what the checks complain about. A serving process also loads what its first
report PDF would otherwise pay for (``app/reports/warm.py``: the fonts, which gunicorn's master has
already loaded before forking, and the report templates), so a client's first download is not the slow one.

Logging is configured before the app is built (``app/logging_setup.py``: scrubbed JSON lines); under
gunicorn, ``gunicorn.conf.py`` has already applied the same configuration and it is kept.
"""

import gc
import os
import sys

from dotenv import load_dotenv
from flask.helpers import get_debug_flag
from werkzeug.serving import is_running_from_reloader

from app import create_app
from app.logging_setup import configure_logging
from app.preflight import run_preflight
from app.reports.warm import warm


def _reloads() -> bool:
    """True under ``flask run`` with its reloader (``--debug`` or ``--reload``), in either of its processes."""
    return get_debug_flag() or "--reload" in sys.argv[1:] or is_running_from_reloader()


def _is_maintenance_command() -> bool:
    """True for ``flask --app wsgi <command>`` other than ``run``."""
    argv = sys.argv
    return os.path.basename(argv[0]) == "flask" and "run" not in argv[1:]


load_dotenv()
configure_logging(if_unconfigured=True)
app = create_app()
if not _is_maintenance_command():
    run_preflight(app)
    # a serving process renders report PDFs: their fonts (already loaded by gunicorn's master, so only
    # under `flask run` paid here) and templates now, not in a client's first download (app/reports/warm.py).
    # Not under `flask run --debug`: its reloader loads the app twice and again on every code change, where
    # 1-2 s each time would cost the developer more than their first PDF does.
    if not _reloads():
        warm(app)

# Everything loaded so far (modules, the app, its config) lives as long as the process: move it out of the
# cyclic garbage collector's reach, so a full collection scans only what requests created. Without it a
# full collection walks ~170,000 startup objects (100-140 ms on the dev box) and lands on whichever
# request allocates enough, e.g. every few uncached portfolio pages (bench/README.md, "pages").
gc.freeze()
