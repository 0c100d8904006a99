"""Find the tenant of each request before any view runs; ``current_tenant``."""

import re

import sqlalchemy as sa
from flask import abort, current_app, g
from werkzeug.local import LocalProxy

from .db import session
from .models import Tenant

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

#: The tenant of the current request (None outside the module's pages).
current_tenant = LocalProxy(lambda: g.get("tickets_tenant"))


def is_valid_slug(slug):
    """Return True if ``slug`` is a well-formed workspace slug (2–63 characters)."""
    return bool(slug) and 2 <= len(slug) <= 63 and bool(SLUG_RE.match(slug))


def load_active_tenant(slug):
    """Return the active tenant with this slug, or None."""
    if not isinstance(slug, str) or not is_valid_slug(slug):
        return None
    return session.scalar(sa.select(Tenant).where(Tenant.slug == slug, Tenant.active.is_(True)))


def pull_tenant(endpoint, values):
    """URL value preprocessor: take the slug out of the URL and load the tenant (or 404)."""
    state = current_app.extensions["xobito_tickets"]
    if state.tenant_resolver is not None:
        tenant = state.tenant_resolver(values)
    elif current_app.config["TICKETS_TENANCY"] == "single":
        tenant = load_active_tenant(current_app.config["TICKETS_TENANT"])
    else:
        slug = values.pop("tenant", None) if values else None
        tenant = load_active_tenant(slug)
    if tenant is None:
        abort(404)
    g.tickets_tenant = tenant


def add_tenant_to_urls(endpoint, values):
    """URL defaults: fill in the current tenant's slug when building the module's URLs."""
    if "tenant" in values or g.get("tickets_tenant") is None:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        values["tenant"] = g.tickets_tenant.slug
