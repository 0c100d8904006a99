"""``flask tickets rebuild-reports``: recount the report rollups from the tickets."""

import time

import click
from flask.cli import with_appcontext

from ..db import session
from ..reports.rollup import rebuild
from .common import tenant_by_slug


@click.command("rebuild-reports")
@click.option("--tenant", "slug", default=None, help="Only this workspace (default: all).")
@with_appcontext
def rebuild_reports(slug):
    """Recompute the reports' rollups from the tickets (after an import or a hand edit)."""
    tenant = tenant_by_slug(slug) if slug else None
    started = time.monotonic()
    counted = rebuild(tenant.id if tenant else None)
    session.commit()
    where = f"{tenant.slug!r}" if tenant else "every workspace"
    click.echo(f"Rebuilt the reports of {where} from {counted:,} tickets in {time.monotonic() - started:.1f} s.")
