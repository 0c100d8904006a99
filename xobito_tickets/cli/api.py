"""``flask tickets token …`` and ``flask tickets webhook …``: API tokens and webhook endpoints."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..api.tokens import TokenError, create_token
from ..db import session
from ..errors import ServiceError
from ..models import User
from ..webhooks.models import EVENTS
from ..webhooks.services import create_endpoint
from .common import check_email, fail, tenant_by_slug


@click.group("token")
def token_cli():
    """API tokens (SPEC §17)."""


@token_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--email", required=True, callback=check_email, help="The person the token acts as.")
@click.option("--name", default="Command line", show_default=True, help="What the token is for.")
@click.option("--read-only", is_flag=True, help="The token may read but not change anything.")
@with_appcontext
def token_create(slug, email, name, read_only):
    """Make an API token for a person and print it, once, alone on the last line."""
    tenant = tenant_by_slug(slug)
    user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == email))
    if user is None:
        raise click.UsageError(f"No person with the email {email!r} in {tenant.slug!r}.")
    try:
        row, token = create_token(user, name, read_only=read_only)
    except TokenError as exc:
        fail(exc)
    access = "read-only" if row.read_only else "read and write"
    click.echo(f"Made the {access} token {row.name!r} for {user.email} ({user.role}) in {tenant.slug!r}.")
    click.echo("It is shown once; only its hash is kept:")
    click.echo(token)


@click.group("webhook")
def webhook_cli():
    """Webhook endpoints (SPEC §18)."""


@webhook_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--url", required=True, help="The http(s) URL that receives the events.")
@click.option("--event", "events", multiple=True, type=click.Choice(EVENTS), help="An event (repeatable); none: all.")
@click.option("--description", default="", help="What receives the events.")
@with_appcontext
def webhook_create(slug, url, events, description):
    """Register a webhook endpoint and print its signing secret, once, alone on the last line."""
    tenant = tenant_by_slug(slug)
    try:
        endpoint, secret = create_endpoint(tenant, url, events, description)
    except ServiceError as exc:
        fail(exc)
    what = ", ".join(endpoint.events) if endpoint.events else "every event"
    click.echo(f"Registered {endpoint.url} in {tenant.slug!r} for {what}.")
    click.echo("Its signing secret is shown once:")
    click.echo(secret)
