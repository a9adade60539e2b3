"""The periodic job table and the one cron scheduler that enqueues it.

Exactly one scheduler runs per deployment (RQ's CronScheduler has no leader election); jobs that must
not run twice for the same period use deterministic, date-keyed job ids so a second scheduler or a
restart cannot double them. Later features add rows here, never cron lines elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from redis import Redis
from rq.cron import CronScheduler

from app.queueing import queues


@dataclass(frozen=True)
class CronEntry:
    """One periodic job: what runs, on which queue, and when (a cron string or an interval)."""

    name: str
    func: str
    queue: str
    cron: str | None = None
    interval_seconds: int | None = None
    timeout: int = 300


SCHEDULE: tuple[CronEntry, ...] = (
    CronEntry("cron-heartbeat", "app.jobs.system.cron_heartbeat", queues.DEFAULT, interval_seconds=60, timeout=30),
    CronEntry("outbox-sweep", "app.jobs.mail.sweep_outbox", queues.DEFAULT, cron="*/5 * * * *", timeout=120),
    CronEntry("reply-sweep", "app.jobs.comments.sweep_replies", queues.DEFAULT, cron="*/5 * * * *", timeout=120),
    # O8: renew grants ahead of expiry (Instagram ~day 50, TikTok refresh tokens, idle Google tokens)
    # and raise TOKEN_EXPIRING 7 days before a grant the app cannot renew runs out.
    CronEntry(
        "token-refresh", "app.jobs.connections.refresh_expiring_tokens", queues.DEFAULT, cron="17 * * * *", timeout=900
    ),
    # Issue 5: one sync job per active connection at 03:00 UTC (date-keyed unique ids, J4), raw platform
    # answers kept 30 days (D5), and runs left "running" by a dead worker closed (crash safety).
    # Issue 21: the portfolio's prepared per-connection rows are kept per UTC day: renewed just after midnight
    CronEntry(
        "portfolio-rows", "app.jobs.pages.refresh_portfolio_rows", queues.DEFAULT, cron="2 0 * * *", timeout=1800
    ),
    CronEntry("sync-daily-fanout", "app.jobs.sync.daily_fanout", queues.SYNC, cron="0 3 * * *", timeout=600),
    # Issue 22: the second sync of accounts on an active campaign (cadence twice_daily), once a day
    CronEntry("sync-campaign-fanout", "app.jobs.sync.campaign_fanout", queues.SYNC, cron="0 15 * * *", timeout=600),
    # a fan-out missed (cron down across 03:00) or lost (Redis) is caught up hourly, same job ids (D1)
    CronEntry("sync-catch-up", "app.jobs.sync.catch_up_daily", queues.SYNC, cron="35 * * * *", timeout=600),
    CronEntry("sync-raw-purge", "app.jobs.sync.purge_raw_responses", queues.DEFAULT, cron="40 4 * * *", timeout=600),
    # D5: sessions, login attempts, invites, old sync runs, sent mail (its links first), alerts, ...
    CronEntry("retention", "app.jobs.system.purge_expired_rows", queues.DEFAULT, cron="20 4 * * *", timeout=900),
    # Issue 7: every live connection's alert rules once a day after the sync fan-out (also catches
    # connections whose sync failed), then the daily digest for users who chose it.
    CronEntry("alerts-daily", "app.jobs.alerts.evaluate_all", queues.DEFAULT, cron="30 6 * * *", timeout=1800),
    CronEntry("alerts-digest", "app.jobs.alerts.send_digests", queues.DEFAULT, cron="0 8 * * *", timeout=600),
    # D4: a data-deletion request whose job Redis lost (restart without AOF) or whose retries ran out
    CronEntry(
        "deletions-sweep",
        "app.jobs.connections.requeue_lost_deletions",
        queues.DEFAULT,
        cron="*/10 * * * *",
        timeout=120,
    ),
    # Issue 18: Instagram stories live 24 h: read them every 4 hours and keep their numbers for good
    CronEntry("stories-sync", "app.jobs.audience.sync_all_stories", queues.SYNC, cron="25 */4 * * *", timeout=1800),
    # Issue 14: X's terms want deleted/suspended/protected content gone within 24 h: every stored X post and
    # connected account checked by X's batch compliance jobs, opened daily (date-keyed rows) and carried on
    # every 10 minutes (a killed worker's job resumes at its last committed step)
    CronEntry(
        "x-compliance-daily", "app.jobs.compliance.x_compliance_daily", queues.DEFAULT, cron="10 2 * * *", timeout=600
    ),
    CronEntry(
        "x-compliance-poll", "app.jobs.compliance.x_compliance_poll", queues.DEFAULT, cron="*/10 * * * *", timeout=600
    ),
    CronEntry("sync-reap-stale", "app.jobs.sync.reap_stale_syncs", queues.DEFAULT, cron="*/10 * * * *", timeout=120),
    # Issue 8: hourly, weekly reports for clients whose local time is Monday morning (unique
    # (client, week) rows + ids report-weekly-{client}-{isoyear}{isoweek}); reports kept 90 days (D5).
    CronEntry("reports-weekly", "app.jobs.reports.weekly_fanout", queues.REPORTS, cron="5 * * * *", timeout=600),
    # Issue 16: monthly reports, the same way, on the 1st (catch-up on the 2nd); one per (client, month)
    CronEntry("reports-monthly", "app.jobs.reports.monthly_fanout", queues.REPORTS, cron="7 * * * *", timeout=600),
    CronEntry("reports-purge", "app.jobs.reports.purge_reports", queues.DEFAULT, cron="50 4 * * *", timeout=600),
    # reports whose job was lost (Redis) or died for good (worker killed each time) are queued again
    CronEntry(
        "reports-sweep", "app.jobs.reports.requeue_stuck_reports", queues.DEFAULT, cron="*/10 * * * *", timeout=120
    ),
)


def _resolve(path: str) -> Callable[..., Any]:
    module, _, attr = path.rpartition(".")
    func: Callable[..., Any] = getattr(import_module(module), attr)
    return func


def build_scheduler(connection: Redis, schedule: tuple[CronEntry, ...] = SCHEDULE) -> CronScheduler:
    """A CronScheduler with every entry of ``schedule`` registered."""
    scheduler = CronScheduler(connection=connection, logging_level=logging.INFO, name="portal-cron")
    for entry in schedule:
        scheduler.register(
            _resolve(entry.func),
            queue_name=entry.queue,
            cron=entry.cron,
            interval=entry.interval_seconds,
            job_timeout=entry.timeout,
            result_ttl=queues.RESULT_TTL,
            failure_ttl=queues.FAILURE_TTL,
            name=entry.name,
        )
    return scheduler
