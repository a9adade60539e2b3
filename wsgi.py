"""WSGI entry point: ``gunicorn wsgi:app`` in production, ``flask --app wsgi run`` in development.

A serving process runs the preflight checks (``app/preflight.py``) and refuses to start when they
fail; other ``flask --app wsgi`` commands (``db upgrade``, ``tokens rotate``, ...) skip them so an
operator can still repair what the checks complain about.

Logging is configured before the app is built (``app/logging_setup.py``: scrubbed JSON lines); under
gunicorn, ``gunicorn.conf.py`` has already applied the same configuration and it is kept.
"""

import gc
import os
import sys

from dotenv import load_dotenv

from app import create_app
from app.logging_setup import configure_logging
from app.preflight import run_preflight
from app.reports.warm import warm


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
    # under `flask run` paid here) and templates now, not in a client's first download (app/reports/warm.py)
    warm(app)

# Everything loaded so far (modules, the app, its config) lives as long as the process: move it out of the
# cyclic garbage collector's reach, so a full collection scans only what requests created. Without it a
# full collection walks ~170,000 startup objects (100-140 ms on the dev box) and lands on whichever
# request allocates enough, e.g. every few uncached portfolio pages (bench/README.md, "pages").
gc.freeze()
