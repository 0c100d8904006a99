"""Creating workspaces (tenants)."""

import re

import sqlalchemy as sa
from flask import current_app

from ..db import session
from ..errors import ServiceError
from ..models import Tenant, TicketCounter

#: A workspace slug: lower-case letters, digits and hyphens, 2–63 characters, no hyphen at either end.
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def is_valid_slug(slug):
    """Return True if ``slug`` is a well-formed workspace slug (2–63 characters)."""
    return bool(slug) and 2 <= len(slug) <= 63 and bool(SLUG_RE.match(slug))


def create_tenant(slug, name, allow_signup=None):
    """Create a workspace and its ticket counter."""
    if not is_valid_slug(slug):
        raise ServiceError(
            "A workspace slug is 2–63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
            field="slug",
        )
    if session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ServiceError(f"A workspace with the slug {slug!r} exists already.", field="slug")
    if allow_signup is None:
        allow_signup = current_app.config["TICKETS_DEFAULT_ALLOW_SIGNUP"]
    tenant = Tenant(slug=slug, name=name.strip() or slug, allow_signup=allow_signup)
    session.add(tenant)
    session.flush()
    session.add(TicketCounter(tenant_id=tenant.id, last_number=0))
    session.commit()
    return tenant
