"""``flask tickets receive-mail``, ``flask tickets fetch-mail`` and ``flask tickets inbound token``."""

import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..inbound.imap import fetch_all
from ..inbound.ingest import TemporaryFailure, ingest, tenant_by_slug
from ..inbound.settings import inbound_token

#: sysexits.h: the MTA keeps the message and tries again later.
EX_TEMPFAIL = 75
#: sysexits.h: addressee unknown (no such workspace); the MTA bounces.
EX_NOUSER = 67


def _tenant_or_exit(slug):
    tenant = tenant_by_slug(slug)
    if tenant is None:
        click.echo(f"Error: no active workspace {slug!r}.", err=True)
        sys.exit(EX_NOUSER)
    return tenant


@click.command("receive-mail")
@click.option("--tenant", "slug", required=True, help="Workspace slug the message was sent to.")
@with_appcontext
def receive_mail(slug):
    """Read one RFC 5322 message from standard input and ingest it (for an MTA's pipe transport)."""
    try:
        tenant = _tenant_or_exit(slug)
        limit = current_app.config["TICKETS_INBOUND_MAX_BYTES"]
        # Read one byte past the limit: ingest then knows the message is too large, without holding more.
        raw = sys.stdin.buffer.read(limit + 1)
        if len(raw) > limit:
            while sys.stdin.buffer.read(1024 * 1024):
                pass
        result = ingest(tenant, raw, "stdin")
    except TemporaryFailure as exc:
        click.echo(f"Temporary failure, try again later: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:  # noqa: BLE001 - an MTA must be told to retry rather than lose mail
        current_app.logger.exception("receive-mail failed")
        click.echo(f"Temporary failure, try again later: {type(exc).__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    detail = f" ({result.reason})" if result.reason else ""
    ticket = f" {result.ticket_number}" if result.ticket_number else ""
    click.echo(f"{result.outcome}{ticket}{detail}")


@click.command("fetch-mail")
@click.option("--once", is_flag=True, help="One pass over the mailboxes, then exit (for cron or tests).")
@click.option("--tenant", "slug", default=None, help="Only this workspace's mailbox.")
@with_appcontext
def fetch_mail(once, slug):
    """Poll the IMAP mailboxes of the workspaces (TLS) and ingest unseen messages."""
    interval = current_app.config["TICKETS_INBOUND_POLL_INTERVAL"]
    while True:
        stats = fetch_all(slug)
        click.echo(f"Mailboxes: {stats.handled} handled, {stats.retried} to retry.")
        for error in stats.errors:
            click.echo(f"  error: {error}", err=True)
        if once:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


@click.group("inbound")
def inbound_cli():
    """Inbound email settings."""


@inbound_cli.command("token")
@click.option("--tenant", "slug", required=True, help="Workspace slug.")
@click.option("--rotate", is_flag=True, help="Make a new token; the old one stops working.")
@with_appcontext
def inbound_token_command(slug, rotate):
    """Print the workspace's inbound token (made if there is none) alone on the last line."""
    tenant = _tenant_or_exit(slug)
    token = inbound_token(tenant, rotate=rotate)
    if rotate:
        click.echo(f"A new inbound token for {tenant.slug}; the previous one no longer works.")
    click.echo(token)
