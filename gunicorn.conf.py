"""Gunicorn settings for the web process: ``gunicorn --config gunicorn.conf.py wsgi:app`` (Procfile ``web``).

Environment (declared with the app's settings in ``app/config/table.py``, README "Configuration"): ``PORT``,
``WEB_CONCURRENCY`` (processes), ``TRUST_PROXY_HOPS``, ``FORWARDED_ALLOW_IPS`` and ``LOG_LEVEL``.
"""

from app.config import env_value
from app.logging_setup import log_level, logging_config

bind = f"0.0.0.0:{env_value('PORT')}"

# Workers: gthread. Exports (CSV/JSON of up to five years, portfolio-wide; report PDFs) are streamed and can
# take minutes to a slow client. A sync worker gives one request a whole process and, being unable to
# report to the master while it serves, is killed after `timeout` in the middle of a long download; a
# gthread worker serves one request per thread while its main thread keeps reporting, so `timeout` only
# catches a hung process and a download holds one thread, not a process. Requests mostly wait on the
# database and Redis (I/O, the GIL released), so a few threads per process go further than processes.
worker_class = "gthread"
workers = int(env_value("WEB_CONCURRENCY"))
threads = 8
# Seconds a worker process may stay silent before the master replaces it: a hung process, not a slow
# request (see above). Twice gunicorn's default: the main thread shares the CPU with 8 busy request threads.
timeout = 60
# On SIGTERM (a deploy, a scale-down) requests in flight get this long to finish, a download included;
# give the platform a stop grace period at least this long (it is SIGKILL after that).
graceful_timeout = 120
# Seconds an idle keep-alive connection waits for its next request (gunicorn's default is 2); behind a proxy
# that reuses upstream connections, keep it above the proxy's idle timeout for them.
keepalive = 5
# Not preloaded: each worker builds the app after the fork, so no pooled database connection opened by the
# start-up checks (app/preflight.py) is shared between processes (see worker.py for what that does).
preload_app = False


def on_starting(server: object) -> None:
    """In the master, before it forks the workers: load the PDF libraries and register the report fonts
    (app/reports/warm.py; ~1-2 s and ~120 MB, needing no app and no connection), so that every worker,
    and every replacement of one, inherits them and no client's first PDF download pays for them. Each
    worker then compiles the report templates after building its app (wsgi.py). A failure is logged and
    the workers start anyway (their /readyz says ``degraded``)."""
    from app.reports.warm import warm_fonts

    warm_fonts()


# X-Forwarded-*: one rule, the app's. TRUST_PROXY_HOPS counts the proxies whose headers the app believes
# (werkzeug's ProxyFix in create_app). With none, gunicorn must not believe X-Forwarded-Proto either (its
# default trusts 127.0.0.1, and any peer on a Unix socket): a client could make a plain-http request look
# like https. With a proxy, gunicorn may read the scheme from it too, from FORWARDED_ALLOW_IPS (the proxy's
# addresses) or, unset, from any peer: TRUST_PROXY_HOPS >= 1 says only the proxy can reach this port.
if int(env_value("TRUST_PROXY_HOPS")) > 0:
    forwarded_allow_ips = env_value("FORWARDED_ALLOW_IPS") or "*"
else:
    forwarded_allow_ips = ""
    secure_scheme_headers: dict[str, str] = {}

# Logs: the one configuration of web, worker and cron (app/logging_setup.py): scrubbed JSON lines on
# stderr. gunicorn's error log goes through it; the access line (one per request, with its request id)
# is written by the app, so gunicorn's own access log is off there.
loglevel = log_level().lower()
logconfig_dict = logging_config()
accesslog = None

# gunicorn >= 25 opens a control socket at ~/.gunicorn/gunicorn.ctl by default; a second instance on the
# host (another release, the tests) would take it over. Processes are managed with signals instead.
control_socket_disable = True
