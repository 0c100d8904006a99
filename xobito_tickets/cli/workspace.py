"""``flask tickets tenant|user|department create``, ``demo`` and ``recount``."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from ..db import session
from ..demo import build_demo
from ..errors import ServiceError
from ..models import Role, User
from ..team.services import create_department, create_user, normalize_email
from ..tenancy.workspaces import create_tenant
from ..tickets.counts import rebuild
from .common import check_email, check_password, fail, name_checker, tenant_by_slug


@click.group("tenant")
def tenant_cli():
    """Workspaces (tenants)."""


@tenant_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, callback=name_checker(200), help="The workspace's display name.")
@click.option("--no-signup", is_flag=True, help="Do not let customers sign themselves up.")
@with_appcontext
def tenant_create(slug, name, no_signup):
    """Create a workspace reachable at /SLUG/."""
    try:
        tenant = create_tenant(slug, name, allow_signup=False if no_signup else None)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"Created workspace {tenant.slug!r} ({tenant.name}).")


@click.group("user")
def user_cli():
    """People of a workspace."""


@user_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--email", required=True, callback=check_email)
@click.option("--name", required=True, callback=name_checker(200))
@click.option("--role", type=click.Choice([r.value for r in Role]), default="customer", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, callback=check_password)
@with_appcontext
def user_create(slug, email, name, role, password):
    """Create a customer, staff member or admin."""
    tenant = tenant_by_slug(slug)
    try:
        user = create_user(tenant, email, name, role, password)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"Created {user.role} {user.email} in {tenant.slug!r}.")


@click.group("department")
def department_cli():
    """Departments of a workspace."""


@department_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--name", required=True, callback=name_checker(100))
@click.option("--description", default="")
@click.option("--member", "members", multiple=True, help="Email of a staff member or admin (repeatable).")
@click.option("--inactive", is_flag=True, help="Create it inactive (hidden from customers).")
@with_appcontext
def department_create(slug, name, description, members, inactive):
    """Create a department, optionally with members."""
    tenant = tenant_by_slug(slug)
    people = []
    for email in members:
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == normalize_email(email)))
        if user is None:
            raise click.UsageError(f"No user {email!r} in {slug!r}.")
        people.append(user)
    try:
        department = create_department(tenant, name, description, active=not inactive, members=people)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"Created department {department.name!r} in {tenant.slug!r}.")


@click.command("demo")
@click.option("--slug", default="demo", show_default=True)
@click.option("--base-url", default=None, help="Printed URL base (default: TICKETS_BASE_URL).")
@with_appcontext
def demo(slug, base_url):
    """Create (or show) a ready demo workspace with people, departments and tickets."""
    created, logins = build_demo(slug)
    base = (base_url or current_app.config["TICKETS_BASE_URL"]).rstrip("/")
    click.echo(("Created" if created else "Already there:") + f" demo workspace at {base}/{slug}/tickets")
    click.echo("Logins (email / password):")
    for role, email, password in logins:
        click.echo(f"  {role:<9} {email} / {password}")


@click.command("recount")
@click.option("--tenant", "slug", default=None, help="Only this workspace (default: all).")
@with_appcontext
def recount(slug):
    """Recount the queue's status counts from the tickets (after loading tickets by hand)."""
    tenant = tenant_by_slug(slug) if slug else None
    rebuild(tenant.id if tenant else None)
    session.commit()
    click.echo("Recounted the queue counts of " + (f"{tenant.slug!r}." if tenant else "every workspace."))
