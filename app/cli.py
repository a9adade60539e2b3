"""``flask --app wsgi ...`` commands (contract 6.1): users, demo, and operator helpers."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import AppGroup

from app.errors import ServiceError

users_cli = AppGroup("users", help="Manage logins.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "coach", "client"]), required=True)
@click.option("--password", default=None, help="Omit to generate one (printed once).")
@click.option("--coach-email", default=None, help="For clients: their coach.")
def users_create(email: str, name: str, role: str, password: str | None, coach_email: str | None) -> None:
    """Create a user; a client user gets its client profile."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services import accounts

    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12)
    coach = None
    if coach_email:
        coach = db.session.execute(select(User).where(User.email == coach_email.lower())).scalar_one_or_none()
        if coach is None:
            raise click.ClickException(f"No user with email {coach_email}")
    try:
        user = accounts.create_user(email, name, role, password, coach=coach)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
    if generated:
        click.echo(f"Password: {password}")


@click.command("demo")
@click.option("--reset", is_flag=True, help="Delete all data first.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo_command(reset: bool, if_empty: bool) -> None:
    """Load demo coaches, clients and deliverables."""
    from app.demo import people as demo

    if if_empty and not reset and not demo.is_empty():
        click.echo("Database already has data; demo not loaded (use --reset to start over).")
        return
    if reset:
        demo.reset()
    elif not demo.is_empty():
        raise click.ClickException("The database already has data; use --reset to replace it.")
    counts = demo.seed()
    click.echo(
        f"Demo loaded: {counts['clients']} clients, {counts['coaches']} coaches, "
        f"{counts['deliverables']} deliverables. Password for every demo login: {demo.DEMO_PASSWORD}"
    )
    _seed_sandbox(reset)


def _seed_sandbox(reset: bool) -> None:
    """Give the platform sandbox its demo creators through its control API (``POST /_sandbox/demo``)."""
    import requests
    from flask import current_app

    base = current_app.config.get("PLATFORM_SANDBOX_URL")
    if not base:
        return
    try:
        if reset:
            requests.post(f"{base}/_sandbox/reset", timeout=10).raise_for_status()
        existing = requests.get(f"{base}/_sandbox/accounts", timeout=10)
        existing.raise_for_status()
        if existing.json().get("accounts"):
            click.echo("Sandbox already has accounts; left as it is.")
        else:
            created = requests.post(f"{base}/_sandbox/demo", timeout=60)
            created.raise_for_status()
            click.echo(f"Sandbox: {len(created.json()['accounts'])} demo creators created.")
    except requests.RequestException as exc:
        click.echo(f"Sandbox at {base} not reachable ({type(exc).__name__}); demo creators not created.")
        return
    from app.demo.connections import connect_demo_clients

    try:
        result = connect_demo_clients(base)
    except requests.RequestException as exc:
        click.echo(f"Demo connections stopped: the sandbox did not answer ({type(exc).__name__}).")
        return
    click.echo(
        f"Demo connections: {result.connected} accounts connected, {result.snapshots} days and "
        f"{result.items} posts of history imported; initial syncs queued when Redis is up."
    )
    for problem in result.problems:
        click.echo(f"  not connected: {problem}")
    from app.demo.fans import seed_fans_and_tactics

    fans = seed_fans_and_tactics(base)
    click.echo(
        f"Demo tactics: {fans.tags} tags on {fans.tagged_posts} posts; linked fan: {fans.link_codes_posted} codes "
        "posted as comments (verified by the comment sync)" + (f"; {fans.problem}" if fans.problem else "")
    )


tokens_cli = AppGroup("tokens", help="OAuth tokens at rest.")


@tokens_cli.command("rotate")
def tokens_rotate() -> None:
    """Re-encrypt every stored token to TOKEN_ENCRYPTION_ACTIVE_KEY (T3); prints rows per key id.

    Run after making a new key active (keep the old key in the ring until its count is 0).
    """
    from app.services import tokens

    before = tokens.key_counts()
    after = tokens.rotate_keys()
    click.echo(f"Active key: {tokens.keyring().active_key_id}")
    for key_id in sorted(set(before) | set(after)):
        click.echo(f"  {key_id}: {before.get(key_id, 0)} -> {after.get(key_id, 0)} token(s)")


sync_cli = AppGroup("sync", help="Platform syncs (issue 5).")


@sync_cli.command("run")
@click.option("--connection", "connection_id", type=int, default=None, help="One connection id.")
@click.option("--all", "all_", is_flag=True, help="Every active connection.")
def sync_run(connection_id: int | None, all_: bool) -> None:
    """Enqueue syncs now, for operators (not limited like the portal's "Refresh now")."""
    from app.queueing import dispatch
    from app.services.connections import syncable_connection_ids

    if (connection_id is None) == (not all_):
        raise click.UsageError("Give exactly one of --connection ID or --all.")
    ids = [connection_id] if connection_id is not None else syncable_connection_ids()
    queued = sum(1 for cid in ids if cid is not None and dispatch.enqueue_sync(cid, "operator"))
    if queued < len(ids):
        raise click.ClickException(f"Queued {queued} of {len(ids)}: Redis is not reachable.")
    click.echo(f"Queued {queued} sync(s).")


mail_cli = AppGroup("mail", help="The outbox of outgoing email.")


@mail_cli.command("requeue")
@click.option("--id", "email_ids", type=int, multiple=True, help="One failed email (repeat for more); default all.")
def mail_requeue(email_ids: tuple[int, ...]) -> None:
    """Try failed emails again (after an SMTP outage longer than MAIL_RETRY_HOURS, or a fixed address)."""
    import time

    from app.queueing import dispatch
    from app.services import mail

    ids = mail.requeue_failed(list(email_ids) if email_ids else None)
    again = f"requeue{int(time.time())}"
    queued = sum(1 for email_id in ids if dispatch.enqueue_email_delivery(email_id, again=again))
    click.echo(f"Requeued {len(ids)} failed email(s); {queued} delivery job(s) queued now, the rest by the sweep.")


stats_cli = AppGroup("stats", help="Derived analytics tables.")


@stats_cli.command("totals")
@click.option("--rebuild", is_flag=True, help="Recompute the table from the snapshots.")
def stats_totals(rebuild: bool) -> None:
    """Check the portfolio's daily totals against the snapshots (exit 1 on drift); --rebuild recomputes them.

    Database triggers keep the table; a rebuild is for a bulk load made with triggers disabled.
    """
    from app.extensions import db
    from app.stats import totals

    if rebuild:
        rows = totals.rebuild()
        db.session.commit()
        click.echo(f"Rebuilt portfolio daily totals: {rows} row(s).")
        return
    drift = totals.differences()
    for day, platform, slot, stored, expected in drift[:20]:
        click.echo(f"  {day} {platform} slot {slot}: stored {stored}, snapshots give {expected}")
    if drift:
        raise click.ClickException(
            f"{len(drift)} total(s) differ from the snapshots: run `flask stats totals --rebuild`."
        )
    click.echo("Portfolio daily totals agree with the snapshots.")


@stats_cli.command("portfolio-rows")
@click.option("--refresh", is_flag=True, help="Prepare every stale row for today first.")
def stats_portfolio_rows(refresh: bool) -> None:
    """Check the portfolio's prepared per-connection rows that are fresh today against the history
    (exit 1 on drift); --refresh prepares the stale ones first (``app.stats.portfolio_state``)."""
    from app.stats import portfolio_state

    if refresh:
        click.echo(f"Prepared {portfolio_state.refresh_stale()} portfolio row(s).")
    drift = portfolio_state.differences()
    for cid, stored, expected in drift[:20]:
        click.echo(f"  connection {cid}: stored {stored}, the history gives {expected}")
    if drift:
        raise click.ClickException(f"{len(drift)} prepared row(s) differ from the history.")
    click.echo("Prepared portfolio rows agree with the history.")


@click.command("config-table")
@click.option("--write", is_flag=True, help="Rewrite README.md's configuration tables and .env.example instead.")
def config_table(write: bool) -> None:
    """Print the configuration tables (Markdown) generated from app/config/table.py's SETTINGS."""
    from app import PROJECT_ROOT
    from app.config import settings_table_markdown, write_generated

    if not write:
        click.echo(settings_table_markdown())
        return
    changed = write_generated(PROJECT_ROOT)
    for path in changed:
        click.echo(f"rewrote {path.relative_to(PROJECT_ROOT)}")
    if not changed:
        click.echo("README.md and .env.example are current.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(sync_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(config_table)
