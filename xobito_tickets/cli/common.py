"""What every ``flask tickets`` command shares: the workspace lookup, errors, option checks."""

import re

import click
import sqlalchemy as sa

from ..db import session
from ..models import Tenant
from ..team.services import normalize_email


def tenant_by_slug(slug):
    """Return the workspace ``slug``, or stop the command with a usage error naming the fix."""
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.UsageError(f"No workspace with the slug {slug!r}. Create it with 'flask tickets tenant create'.")
    return tenant


def fail(exc):
    """Stop the command with a service error's message."""
    raise click.ClickException(exc.message)


# One address: something@domain, no spaces, no second "@" (the database keeps 254 characters).
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def check_email(ctx, param, value):
    """Click callback: refuse what cannot be an email address."""
    email = normalize_email(value)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise click.BadParameter(f"{value!r} is not a valid email address.")
    return email


def check_password(ctx, param, value):
    """Click callback: the same length rule as the sign-up form."""
    if value is None or not 8 <= len(value) <= 200:
        raise click.BadParameter("Use a password of at least 8 characters (at most 200).")
    return value


def name_checker(max_length):
    def check(ctx, param, value):
        """Click callback: a name that is not blank and fits its column."""
        name = " ".join((value or "").split())
        if not name:
            raise click.BadParameter("Give a name (it cannot be blank).")
        if len(name) > max_length:
            raise click.BadParameter(f"Use at most {max_length} characters.")
        return name

    return check
