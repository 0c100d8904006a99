"""Find the tenant of each request before any view runs; ``current_tenant``.

Four ways, chosen by ``TICKETS_TENANCY``:

- ``"path"``: the slug is the first path segment, ``/acme/tickets`` (the default);
- ``"subdomain"``: the slug is the subdomain, ``acme.example.com/tickets``;
- ``"single"``: one fixed tenant (``TICKETS_TENANT``), no slug in URLs, created on first use;
- ``"custom"``: no slug in URLs; the ``@tickets.tenant_resolver`` hook decides.

A ``tenant_resolver`` hook also overrides the built-in lookup in the other modes.
"""

import functools
from contextlib import contextmanager
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, current_app, g, has_request_context
from flask import session as cookie_session
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.local import LocalProxy

from ..db import persistent_from_row, row_columns, session
from ..errors import ServiceError
from ..models import LoginSession, Tenant, User
from .identity import MissingHookError
from .workspaces import create_tenant, is_valid_slug

MODES = ("path", "subdomain", "single", "custom")

#: The tenant of the current request (None outside the module's pages).
current_tenant = LocalProxy(lambda: g.get("tickets_tenant"))


_LOGINS = LoginSession.__table__
_TENANTS = Tenant.__table__


class _Lookup:
    """The statements that run before every page, with what is needed to read their rows.

    Core columns, made into the session's instances by db.persistent_from_row (an ORM
    query of one row cost more than the query). The tenant's relationships that an ORM
    query would join eagerly (another feature's one-to-one settings, as a backref) are
    joined too, so that no page reads them again. Built once, after every feature's
    models are mapped; the statements keep their SQL cache key.
    """

    def __init__(self):
        sa.orm.configure_mappers()
        tenant_columns, self.tenant_names = row_columns(Tenant)
        self.user_columns, self.user_names = row_columns(User)
        self.eager = []  # (relationship key, model, attribute names, number of columns)
        joined_columns = []
        select_from = _TENANTS
        for rel in sa.inspect(Tenant).relationships:
            if rel.lazy == "joined" and not rel.uselist:
                columns, names = row_columns(rel.mapper.class_)
                self.eager.append((rel.key, rel.mapper.class_, names))
                joined_columns += columns
                select_from = select_from.outerjoin(rel.mapper.local_table, rel.primaryjoin)
        active = sa.and_(_TENANTS.c.slug == sa.bindparam("slug"), _TENANTS.c.active.is_(True))
        self.tenant = sa.select(*tenant_columns, *joined_columns).select_from(select_from).where(active)
        #: The same, with the standalone login session the browser's cookie names and its
        #: user in the same statement: one query before every page of a logged-in user.
        self.tenant_and_login = (
            sa.select(*tenant_columns, *joined_columns, _LOGINS.c.created_at, *self.user_columns)
            .select_from(
                select_from.outerjoin(
                    _LOGINS, sa.and_(_LOGINS.c.id == sa.bindparam("sid"), _LOGINS.c.user_id == sa.bindparam("user_id"))
                )
                # The session's user by an outer join too: an inner join after the outer one
                # would drop the tenant's row when the cookie names no live session.
                .outerjoin(User.__table__, User.__table__.c.id == _LOGINS.c.user_id)
            )
            .where(active)
        )

    def read_tenant(self, row):
        """Return (the tenant made from the row's first columns, the position after them and its joins)."""
        count = len(self.tenant_names)
        tenant = persistent_from_row(Tenant, self.tenant_names, row[:count])
        loaded = sa.inspect(tenant).dict
        for key, model, names in self.eager:
            values = row[count : count + len(names)]
            count += len(names)
            if key not in loaded:
                related = None if all(v is None for v in values) else persistent_from_row(model, names, values)
                set_committed_value(tenant, key, related)
        return tenant, count


@functools.cache
def _lookup():
    return _Lookup()


class LoginRecord(NamedTuple):
    """A live standalone login session as read with the tenant: its user and when it began."""

    user: User
    created_at: object


def login_cookie():
    """Return ``(session id, user id)`` of the standalone login this request's cookie carries, or None."""
    if not has_request_context() or current_app.config.get("TICKETS_AUTH") != "standalone":
        return None
    sid, user_id = cookie_session.get("tickets_sid"), str(cookie_session.get("_user_id", ""))
    if not sid or not user_id.isdigit() or len(user_id) > 18:
        return None
    return str(sid), int(user_id)


def _connection():
    # The tenants' bind, as an ORM query would find it (a host may put our tables on a bind of their own).
    return session.connection(bind_arguments={"mapper": Tenant})


def load_active_tenant(slug):
    """Return the active tenant with this slug, or None.

    With a standalone login in the cookie, its server-side record is read in the same
    query and left in ``g.tickets_login_record`` for the user loader
    (:func:`xobito_tickets.views.auth.load_standalone_user`).
    """
    if not isinstance(slug, str) or not is_valid_slug(slug):
        return None
    lookup = _lookup()
    login = login_cookie()
    if login is None:
        row = _connection().execute(lookup.tenant, {"slug": slug}).first()
        return None if row is None else lookup.read_tenant(row)[0]
    params = {"slug": slug, "sid": login[0], "user_id": login[1]}
    row = _connection().execute(lookup.tenant_and_login, params).first()
    if row is None:
        return None
    tenant, count = lookup.read_tenant(row)
    created_at, user_values = row[count], row[count + 1 :]
    record = None
    if created_at is not None and user_values[0] is not None:
        record = LoginRecord(persistent_from_row(User, lookup.user_names, user_values), created_at)
    g.tickets_login_record = (login, record)
    return tenant


def ensure_tenant(slug, name=None):
    """Return the tenant with this slug, creating it if it does not exist yet."""
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is not None:
        return tenant
    try:
        return create_tenant(slug, name or slug)
    except (IntegrityError, ServiceError):
        # Two first requests at once: the other one created it.
        session.rollback()
        return session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def single_tenant():
    """Return the tenant of ``"single"`` mode (``TICKETS_TENANT``), created on first use if allowed."""
    config = current_app.config
    slug = config["TICKETS_TENANT"]
    if config.get("TICKETS_TENANT_AUTO_CREATE", True):
        return ensure_tenant(slug, config.get("TICKETS_TENANT_NAME"))
    return session.scalar(sa.select(Tenant).where(Tenant.slug == slug))


def _resolve_with_hook(resolver, slug):
    result = resolver(slug)
    if result is None or isinstance(result, Tenant):
        return result
    if isinstance(result, str):
        return load_active_tenant(result)
    raise TypeError(f"tenant_resolver must return a Tenant, a slug or None, not {type(result).__name__}.")


def resolve_tenant(slug):
    """Return the tenant for a request whose URL carried ``slug`` (None when the mode has none)."""
    state = current_app.extensions["xobito_tickets"]
    mode = current_app.config["TICKETS_TENANCY"]
    resolver = state.extension._tenant_resolver
    if resolver is not None:
        return _resolve_with_hook(resolver, slug)
    if mode == "custom":
        raise MissingHookError(
            "TICKETS_TENANCY = 'custom' needs the @tickets.tenant_resolver hook: a function "
            "(slug) -> Tenant | slug | None that finds the tenant of the request."
        )
    if mode == "single":
        return single_tenant()
    return load_active_tenant(slug)


def pull_tenant(endpoint, values):
    """URL value preprocessor: take the slug out of the URL and load the tenant (or 404)."""
    slug = values.pop("tenant", None) if values else None
    g.tickets_slug = slug
    tenant = resolve_tenant(slug)
    if tenant is None or not tenant.active:
        abort(404)
    g.tickets_tenant = tenant


def add_tenant_to_urls(endpoint, values):
    """URL defaults: fill in the current tenant's slug when building the module's URLs."""
    if "tenant" in values or not current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        return
    tenant = g.get("tickets_tenant")
    slug = tenant.slug if tenant is not None else g.get("tickets_slug")
    if slug:
        values["tenant"] = slug


def drop_tenant_from_asset_urls(endpoint, values):
    """URL value preprocessor of the assets: the subdomain only routes; files are the same for all."""
    if values:
        values.pop("tenant", None)


@contextmanager
def use_tenant(tenant):
    """Make ``tenant`` the ``current_tenant`` inside the block (CLI commands, hooks run outside a request)."""
    had, old = "tickets_tenant" in g, g.get("tickets_tenant")
    g.tickets_tenant = tenant
    try:
        yield tenant
    finally:
        if had:
            g.tickets_tenant = old
        else:
            g.pop("tickets_tenant", None)
