"""The ``flask tickets …`` command group."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .db import session
from .models import Role, Tenant, User
from .services import ServiceError, create_department, create_tenant, create_user, normalize_email


@click.group("tickets")
def tickets_cli():
    """Manage the helpdesk: workspaces, users, departments, demo data, mail."""


def _tenant(slug):
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.UsageError(f"No workspace with the slug {slug!r}. Create it with 'flask tickets tenant create'.")
    return tenant


def _fail(exc):
    raise click.ClickException(exc.message)


@tickets_cli.group("tenant")
def tenant_cli():
    """Workspaces (tenants)."""


@tenant_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The workspace's display name.")
@click.option("--no-signup", is_flag=True, help="Do not let customers sign themselves up.")
@with_appcontext
def tenant_create(slug, name, no_signup):
    """Create a workspace reachable at /SLUG/."""
    try:
        tenant = create_tenant(slug, name, allow_signup=False if no_signup else None)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created workspace {tenant.slug!r} ({tenant.name}).")


@tickets_cli.group("user")
def user_cli():
    """People of a workspace."""


@user_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="customer", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def user_create(slug, email, name, role, password):
    """Create a customer, staff member or admin."""
    tenant = _tenant(slug)
    try:
        user = create_user(tenant, email, name, role, password)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.role} {user.email} in {tenant.slug!r}.")


@tickets_cli.group("department")
def department_cli():
    """Departments of a workspace."""


@department_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The workspace slug.")
@click.option("--name", required=True)
@click.option("--description", default="")
@click.option("--member", "members", multiple=True, help="Email of a staff member or admin (repeatable).")
@click.option("--inactive", is_flag=True, help="Create it inactive (hidden from customers).")
@with_appcontext
def department_create(slug, name, description, members, inactive):
    """Create a department, optionally with members."""
    tenant = _tenant(slug)
    people = []
    for email in members:
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == normalize_email(email)))
        if user is None:
            raise click.UsageError(f"No user {email!r} in {slug!r}.")
        people.append(user)
    try:
        department = create_department(tenant, name, description, active=not inactive, members=people)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created department {department.name!r} in {tenant.slug!r}.")


@tickets_cli.command("demo")
@click.option("--slug", default="demo", show_default=True)
@click.option("--base-url", default=None, help="Printed URL base (default: TICKETS_BASE_URL).")
@with_appcontext
def demo(slug, base_url):
    """Create (or show) a ready demo workspace with people, departments and tickets."""
    from .demo import build_demo

    created, logins = build_demo(slug)
    base = (base_url or current_app.config["TICKETS_BASE_URL"]).rstrip("/")
    click.echo(("Created" if created else "Already there:") + f" demo workspace at {base}/{slug}/tickets")
    click.echo("Logins (email / password):")
    for role, email, password in logins:
        click.echo(f"  {role:<9} {email} / {password}")


def _add_mail_commands():
    from .mail.commands import outbox_cli, send_mail

    tickets_cli.add_command(send_mail)
    tickets_cli.add_command(outbox_cli)


_add_mail_commands()
