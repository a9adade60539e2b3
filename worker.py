"""RQ worker (queues sync, default, reports) or, with ``cron``, the one cron scheduler.

    python worker.py                 # a worker on every queue, with RQ's scheduler for retries
    python worker.py --queues sync   # a worker for some queues
    python worker.py --no-fork       # run jobs in the worker process (no work-horse fork per job)
    python worker.py --processes 12  # one parent starts once and forks 12 workers (app/prefork.py)
    python worker.py cron            # the cron scheduler (exactly one per deployment)

Both run inside the app context, so jobs use the same services and database session as the web app.
A worker of the reports queue loads the PDF fonts, libraries and templates before it takes its first
job (``app/reports/warm.py``; with the forking worker in this parent process, so every work-horse starts
with them); other workers and cron skip that.
With ``--processes N`` the imports, ``create_app``, the preflight and the PDF warm-up are paid once in
this process, which then forks N workers (each exactly the worker it would have been alone: forking or
``--no-fork``, the same queues, RQ's scheduler) and supervises them: a dead one is replaced, SIGTERM or
SIGINT is passed on as RQ's warm shutdown (``app/prefork.py`` says how and why not RQ's ``WorkerPool``).
Logging is configured first (``app/logging_setup.py``): rq, the app and every library write scrubbed JSON
lines to stderr, each record once.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from typing import Any

from dotenv import load_dotenv


def _parse(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", choices=["work", "cron"], default="work")
    parser.add_argument("--queues", default="sync,default,reports")
    parser.add_argument("--burst", action="store_true", help="Exit when the queues are empty.")
    parser.add_argument(
        "--allow-eviction",
        action="store_true",
        help="Start even if Redis may evict keys (never in production: jobs get lost).",
    )
    parser.add_argument(
        "--allow-no-aof",
        action="store_true",
        help="Start in production although Redis keeps no append-only file (a Redis restart then loses "
        "queued and scheduled jobs; the sweeps only recover what the database still knows).",
    )
    parser.add_argument(
        "--no-fork",
        action="store_true",
        help="Run each job in this process (RQ SimpleWorker) instead of a forked work-horse: "
        "no fork, re-connect or warm-up per job. A crash of one job takes the worker down "
        "with it; it is then retried like a killed work-horse.",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="Fork N workers from this process, which starts (imports, app, preflight) once and supervises "
        "them: a dead worker is replaced, SIGTERM/SIGINT stops them all (warm shutdown). Default 1: this "
        "process is the worker.",
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes > 1 and args.mode == "cron":
        parser.error("cron runs as one process: --processes is for workers")
    return parser, args


def main(argv: list[str] | None = None) -> int:
    parser, args = _parse(argv)
    load_dotenv()
    from app.logging_setup import configure_logging

    configure_logging()
    log = logging.getLogger("app.worker")
    from app import ConfigurationError, create_app
    from app.preflight import run_preflight
    from app.redis_conn import get_redis

    app = create_app()
    try:
        run_preflight(app)
    except ConfigurationError as exc:
        log.error("Refusing to start: %s", exc, extra={"event": "refused_to_start"})
        return 2
    from app.extensions import db

    with app.app_context():
        # No pooled DB connection may cross the fork into the work-horses: horses sharing the parent's
        # socket inherit each other's open transactions and row locks, and other syncs wait on them.
        db.engine.dispose()
    with app.app_context():
        conn = get_redis()
        if not _redis_fit_for_jobs(conn, app.config["APP_ENV"], args, log):
            return 2
        if args.mode == "cron":
            from app.cron import build_scheduler

            build_scheduler(conn).start()
            return 0
        return _work(app, conn, parser, args, log)


def _work(app: Any, conn: Any, parser: argparse.ArgumentParser, args: argparse.Namespace, log: logging.Logger) -> int:
    """The RQ worker (or, with ``--processes N``, the pool of N): called inside the app context."""
    from rq import Queue, SimpleWorker, Worker
    from rq.job import Job
    from rq.worker import BaseWorker

    from app.extensions import db
    from app.queueing.queues import QUEUES, RENDERS_PDFS

    names = [q.strip() for q in args.queues.split(",") if q.strip()]
    unknown = set(names) - set(QUEUES)
    if unknown:
        parser.error(f"unknown queues: {', '.join(sorted(unknown))}")
    if set(names) & set(RENDERS_PDFS):
        # the first report PDF's fonts, libraries and templates, paid here: with the forking worker
        # in the parent, so every work-horse starts warm, and with --processes once in the pool's
        # parent, so every worker shares them (app/reports/warm.py; a failure is logged)
        from app.reports import warm

        warm.warm(app)

    class PortalWorker(CronWatch, Worker):
        """RQ's job heartbeat lasts the monitoring interval + 60 s; here + ``RQ_WORKER_TTL``."""

        def get_heartbeat_ttl(self, job: Job) -> int:
            return super().get_heartbeat_ttl(job) - 60 + self.worker_ttl

    class NoForkWorker(CronWatch, SimpleWorker):
        """Jobs run in the worker process, each in its own app context (a fresh DB session, as in a
        work-horse; the connection pool and HTTP sessions stay warm across jobs).

        RQ's SimpleWorker has no monitor loop, so its job heartbeat lasts the whole job timeout + 60 s
        and a killed worker's job would only be found abandoned after that; a thread here keeps the
        forking worker's short heartbeat (monitoring interval + ``RQ_WORKER_TTL``) while a job runs.
        """

        def get_heartbeat_ttl(self, job: Job) -> int:
            return BaseWorker.get_heartbeat_ttl(self, job) - 60 + self.worker_ttl

        def execute_job(self, job: Job, queue: Any) -> None:
            stop = threading.Event()
            started = time.monotonic()

            def beat() -> None:
                while not stop.wait(self.job_monitoring_interval):
                    try:
                        self.set_current_job_working_time(time.monotonic() - started)
                        self.maintain_heartbeats(job)
                    except Exception:  # noqa: BLE001 - the next beat tries again; the job goes on
                        log.warning("job heartbeat failed", exc_info=True)

            thread = threading.Thread(target=beat, name="rq-job-heartbeat", daemon=True)
            thread.start()
            try:
                with app.app_context():
                    super().execute_job(job, queue)
            finally:
                stop.set()
                thread.join()

    ttl = int(app.config["RQ_WORKER_TTL"])
    # abandoned jobs (a killed worker) are found and retried within about one TTL (J2)
    worker_class = NoForkWorker if args.no_fork else PortalWorker

    def work() -> int:
        worker = worker_class(
            [Queue(n, connection=conn) for n in names],
            connection=conn,
            worker_ttl=ttl,
            job_monitoring_interval=max(1, ttl // 3),
            maintenance_interval=max(1, ttl // 2),
        )
        worker.portal_app, worker.forks = app, not args.no_fork
        worker.log_result_lifespan = False  # no "result is kept for N seconds" after every job: the TTL is ours
        worker.work(with_scheduler=True, burst=args.burst)
        return 0

    if args.processes == 1:
        return work()
    from app.prefork import Pool

    def before_fork() -> None:
        # no pooled connection crosses the fork: each worker opens its own DB and Redis connections
        db.session.remove()
        db.engine.dispose()
        conn.connection_pool.disconnect()

    return Pool(args.processes, work, before_fork, burst=args.burst).run()


class CronWatch:
    """A silent cron cannot report itself: every worker's registry maintenance (every ``RQ_WORKER_TTL``/2
    s) checks its heartbeat and raises the admins' alert once per silence
    (``app.services.ops_alerts.check_cron``). Redis only while cron is fine; the database only when it
    is silent. Mixed into both worker classes; ``portal_app`` and ``forks`` are set by ``main``."""

    portal_app: Any = None
    forks = True

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        from app.extensions import db
        from app.services import heartbeat, ops_alerts

        try:
            if self.portal_app is None or heartbeat.cron_state().ok:
                return
            with self.portal_app.app_context():
                ops_alerts.check_cron(watching_since=getattr(self, "birth_date", None))
                db.session.remove()
                if self.forks:
                    db.engine.dispose()  # no pooled connection may cross the fork into a work-horse
        except Exception:  # noqa: BLE001 - the watchdog never stops a worker; the next round tries again
            logging.getLogger("app.worker").warning("cron watchdog failed", exc_info=True)


def _redis_fit_for_jobs(conn: Any, app_env: str, args: argparse.Namespace, log: logging.Logger) -> bool:
    """Whether this Redis keeps RQ's jobs: never evicted (J10), and kept across a restart (an append-only
    file; production refuses without one unless ``--allow-no-aof``, elsewhere it is a warning)."""
    policy = conn.config_get("maxmemory-policy").get("maxmemory-policy")
    if policy != "noeviction" and not args.allow_eviction:
        log.error(
            "Refusing to start: Redis maxmemory-policy is %r, jobs could be evicted (set it to noeviction, J10).",
            policy,
            extra={"event": "refused_to_start"},
        )
        return False
    aof = conn.config_get("appendonly").get("appendonly")
    if aof == "yes":
        return True
    refuse = app_env == "production" and not args.allow_no_aof
    log.log(
        logging.ERROR if refuse else logging.WARNING,
        "%sRedis appendonly is %r: a Redis restart loses queued and scheduled jobs (set appendonly yes; the "
        "README's Deploying section).",
        "Refusing to start: " if refuse else "",
        aof,
        extra={"event": "refused_to_start" if refuse else "redis_no_aof"},
    )
    return not refuse


if __name__ == "__main__":
    sys.exit(main())
