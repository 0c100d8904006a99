"""``flask tickets sync-users`` and ``flask tickets db …``: the commands a host site needs."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .. import migrate as schema
from ..db import session
from ..models import Tenant
from ..team.directory import sync_staff
from ..tenancy.identity import MissingHookError
from ..tenancy.resolve import ensure_tenant
from .common import tenant_by_slug


def _tenants(slug, every):
    """Return the tenants a command acts on: --tenant, --all, or the single tenant."""
    config = current_app.config
    if every:
        return session.scalars(sa.select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.slug)).all()
    if slug is None and config["TICKETS_TENANCY"] == "single":
        slug = config["TICKETS_TENANT"]
        if config.get("TICKETS_TENANT_AUTO_CREATE", True):
            return [ensure_tenant(slug, config.get("TICKETS_TENANT_NAME"))]
    if slug is None:
        raise click.UsageError("Name the workspace with --tenant SLUG, or use --all.")
    return [tenant_by_slug(slug)]


@click.command("sync-users")
@click.option("--tenant", "slug", default=None, help="The workspace slug (default in single mode: TICKETS_TENANT).")
@click.option("--all", "every", is_flag=True, help="Every active workspace.")
@with_appcontext
def sync_users(slug, every):
    """Copy the host site's staff and admins (the staff_loader hook) into the helpdesk."""
    for tenant in _tenants(slug, every):
        try:
            synced, demoted = sync_staff(tenant)
        except MissingHookError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{tenant.slug}: {synced} staff and admins synced, {demoted} no longer staff.")


@click.group("db")
def db_cli():
    """The helpdesk's tables in a host site's database (version table tickets_alembic_version)."""


def _refuse_standalone():
    flask_migrate = current_app.extensions.get("migrate")
    if flask_migrate is not None and str(flask_migrate.directory) == str(schema.MIGRATIONS_DIR):
        raise click.UsageError("This app manages the helpdesk's tables itself: use 'flask db upgrade'.")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
@with_appcontext
def db_upgrade(revision):
    """Create or upgrade the helpdesk's tables (to REVISION, default: newest)."""
    _refuse_standalone()
    schema.upgrade(revision)
    click.echo(f"Helpdesk tables at {', '.join(schema.current()) or 'base'}.")


@db_cli.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision):
    """Downgrade the helpdesk's tables to REVISION ('base' drops them)."""
    _refuse_standalone()
    schema.downgrade(revision)
    click.echo(f"Helpdesk tables at {', '.join(schema.current()) or 'base'}.")


@db_cli.command("stamp")
@click.argument("revision", default="heads")
@with_appcontext
def db_stamp(revision):
    """Record REVISION as the helpdesk's schema version without changing tables."""
    _refuse_standalone()
    schema.stamp(revision)
    click.echo(f"Helpdesk tables stamped at {', '.join(schema.current()) or 'base'}.")


@db_cli.command("current")
@with_appcontext
def db_current():
    """Show the helpdesk's schema version and the newest one."""
    now, newest = schema.current(), schema.heads()
    click.echo(f"database: {', '.join(now) or 'none'}; newest: {', '.join(newest)}")
    if set(now) != set(newest):
        click.echo("Run 'flask tickets db upgrade' to bring the helpdesk's tables up to date.")
