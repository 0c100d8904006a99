"""The person using the module right now, as a :class:`~xobito_tickets.models.User` of the tenant."""

from flask import current_app, g
from flask_login import current_user
from werkzeug.local import LocalProxy

from .resolve import current_tenant


def _standalone_user(tenant):
    """The module's own login (``TICKETS_AUTH = "standalone"``): Flask-Login's user is our row."""
    user = current_user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    # A login belongs to one tenant: a session made in tenant A is anonymous in tenant B.
    if tenant is None or getattr(user, "tenant_id", None) != tenant.id or not user.active:
        return None
    return user


def is_host_auth(app=None):
    """Return True if the host site's users and login are used (``TICKETS_AUTH`` is not "standalone")."""
    return (app or current_app).config.get("TICKETS_AUTH", "host") != "standalone"


def get_current_user():
    """Return the logged-in user of the current tenant, or None.

    Standalone: the module's own login. Host mode: the host's logged-in user, mapped by
    the ``identity_loader`` hook to a directory row of this tenant (kept in sync).
    Deactivated users are anonymous.
    """
    if "tickets_user" in g:
        return g.tickets_user
    tenant = current_tenant._get_current_object()
    if not is_host_auth():
        user = _standalone_user(tenant)
    elif tenant is None:
        user = None
    else:
        # The directory sync lives with the team (it changes roles through its services);
        # the extension hands it over, so tenancy imports no services.
        user = current_app.extensions["xobito_tickets"].directory_user(tenant)
    g.tickets_user = user
    return user


#: The logged-in :class:`~xobito_tickets.models.User` of the current tenant, or None.
current_ticket_user = LocalProxy(get_current_user)
