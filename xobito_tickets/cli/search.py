"""``flask tickets reindex``: rebuild the search index (after an import, or a change of language)."""

import click
from flask.cli import with_appcontext

from ..search import reindex
from ..search.index import set_search_language
from ..search.schema import LANGUAGES
from .common import tenant_by_slug


@click.command("reindex")
@click.option("--tenant", "slug", default=None, help="Only this workspace (default: all).")
@click.option(
    "--language",
    type=click.Choice(sorted(LANGUAGES)),
    default=None,
    help="Set the workspace's search language (stemming on PostgreSQL) first; needs --tenant.",
)
@with_appcontext
def reindex_command(slug, language):
    """Rebuild the search index of every ticket (or of one workspace's), in one transaction."""
    if language and not slug:
        raise click.UsageError("--language sets one workspace's language: give --tenant too.")
    tenant = tenant_by_slug(slug) if slug else None
    if language:
        set_search_language(tenant, language)
    count, seconds = reindex(tenant.id if tenant else None)
    where = f"of {tenant.slug!r}" if tenant else "of every workspace"
    click.echo(f"Indexed {count:,} tickets {where} in {seconds:.1f} s.")
