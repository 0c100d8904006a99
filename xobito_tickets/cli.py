"""The ``flask tickets …`` command group."""

import re

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


# One address: something@domain, no spaces, no second "@" (the database keeps 254 characters).
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def _check_email(ctx, param, value):
    """Click callback: refuse what cannot be an email address."""
    email = normalize_email(value)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise click.BadParameter(f"{value!r} is not a valid email address.")
    return email


def _check_password(ctx, param, value):
    """Click callback: the same length rule as the sign-up form."""
    if value is None or not 8 <= len(value) <= 200:
        raise click.BadParameter("Use a password of at least 8 characters (at most 200).")
    return value


def _name_checker(max_length):
    def check(ctx, param, value):
        """Click callback: a name that is not blank and fits its column."""
        name = " ".join((value or "").split())
        if not name:
            raise click.BadParameter("Give a name (it cannot be blank).")
        if len(name) > max_length:
            raise click.BadParameter(f"Use at most {max_length} characters.")
        return name

    return check


@tickets_cli.group("tenant")
def tenant_cli():
    """Workspaces (tenants)."""


@tenant_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, callback=_name_checker(200), help="The workspace's display name.")
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
@click.option("--email", required=True, callback=_check_email)
@click.option("--name", required=True, callback=_name_checker(200))
@click.option("--role", type=click.Choice([r.value for r in Role]), default="customer", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, callback=_check_password)
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
@click.option("--name", required=True, callback=_name_checker(100))
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


@tickets_cli.command("recount")
@click.option("--tenant", "slug", default=None, help="Only this workspace (default: all).")
@with_appcontext
def recount(slug):
    """Recount the queue's status counts from the tickets (after loading tickets by hand)."""
    from .queuecounts import rebuild

    tenant = _tenant(slug) if slug else None
    rebuild(tenant.id if tenant else None)
    session.commit()
    click.echo("Recounted the queue counts of " + (f"{tenant.slug!r}." if tenant else "every workspace."))


def _add_mail_commands():
    from .mail.commands import outbox_cli, send_mail

    tickets_cli.add_command(send_mail)
    tickets_cli.add_command(outbox_cli)


_add_mail_commands()
