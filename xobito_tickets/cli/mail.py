"""``flask tickets send-mail`` (the outbox worker) and ``flask tickets outbox …``."""

import signal
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..db import begin_write, session
from ..mail.transport import mail_directory, transport_name
from ..mail.views import retry_failed
from ..mail.worker import OutboxWorker
from ..models import OutboxEmail, OutboxStatus, utcnow
from .common import tenant_by_slug


def _summary(stats):
    parts = [f"sent {stats.sent}"]
    if stats.retried:
        parts.append(f"{stats.retried} to retry later")
    if stats.failed:
        parts.append(f"{stats.failed} failed")
    if stats.recovered:
        parts.append(f"{stats.recovered} recovered from a stopped worker")
    return ", ".join(parts)


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron or tests).")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=None, help="Rows claimed at a time.")
@click.option("--name", default=None, help="Worker name stored on claimed rows (default: host:pid:random).")
@with_appcontext
def send_mail(once, batch_size, name):
    """Deliver the notification outbox (runs until stopped; Ctrl-C or SIGTERM stop it cleanly)."""
    worker = OutboxWorker(name=name, batch_size=batch_size)
    target = (
        f"SMTP {current_app.config.get('MAIL_SERVER')}:{current_app.config.get('MAIL_PORT', 25)}"
        if transport_name() == "smtp"
        else f"files in {mail_directory()}"
    )

    def stop(signum, frame):
        if worker.stop_event.is_set():
            raise KeyboardInterrupt
        worker.stop_event.set()
        click.echo("Stopping after the current email…", err=True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if once:
            stats = worker.run_once()
            click.echo(f"Outbox: {_summary(stats)} (to {target}).")
            for error in stats.errors:
                click.echo(f"  last error: {error}", err=True)
            return
        click.echo(f"Outbox worker {worker.name} delivering to {target}. Ctrl-C stops it.")
        worker.run_forever(report=lambda stats: click.echo(f"Outbox: {_summary(stats)}."))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.group("outbox")
def outbox_cli():
    """Inspect and repair the notification outbox."""


def _tenant_id(slug):
    return None if slug is None else tenant_by_slug(slug).id


@outbox_cli.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in OutboxStatus] + ["all"]),
    default="failed",
    show_default=True,
)
@click.option("--tenant", "slug", default=None, help="Only this workspace.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@with_appcontext
def outbox_list(status, slug, limit):
    """List outbox emails (failed ones by default) with their last error."""
    tenant_id = _tenant_id(slug)
    scope = sa.true() if tenant_id is None else OutboxEmail.tenant_id == tenant_id
    counts = dict(
        session.execute(sa.select(OutboxEmail.status, sa.func.count()).where(scope).group_by(OutboxEmail.status)).all()
    )
    click.echo("Outbox: " + ", ".join(f"{s.value} {counts.get(s.value, 0)}" for s in OutboxStatus))
    stmt = sa.select(OutboxEmail).where(scope)
    if status != "all":
        stmt = stmt.where(OutboxEmail.status == status)
    rows = session.scalars(stmt.order_by(OutboxEmail.id.desc()).limit(limit)).all()
    for row in rows:
        when = row.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"#{row.id}  {row.status:<7}  {when}  attempts {row.attempts}  {row.recipient_email}  {row.subject}")
        if row.last_error and row.status != OutboxStatus.SENT.value:
            click.echo(f"      error: {row.last_error}")
    if not rows:
        click.echo("No emails to show.")


@outbox_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed email.")
@click.option("--tenant", "slug", default=None, help="Only this workspace.")
@with_appcontext
def outbox_retry(ids, all_failed, slug):
    """Queue failed emails again, by id or all of them."""
    if not ids and not all_failed:
        raise click.UsageError("Give the ids of failed emails, or --all-failed.")
    count = retry_failed(_tenant_id(slug), list(ids) if ids else None)
    click.echo(f"Queued {count} failed email{'s' if count != 1 else ''} again.")


@outbox_cli.command("purge")
@click.option("--older-than", "days", type=click.IntRange(0), default=30, show_default=True, help="Age in days.")
@with_appcontext
def outbox_purge(days):
    """Delete sent emails older than the given number of days (failed and pending ones stay)."""
    cutoff = utcnow() - timedelta(days=days)
    begin_write()
    count = session.execute(
        sa.delete(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.SENT.value, OutboxEmail.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    click.echo(f"Deleted {count} sent email{'s' if count != 1 else ''}.")
