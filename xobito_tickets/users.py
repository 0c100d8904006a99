"""The person using the module right now, as a :class:`~xobito_tickets.models.User` of the tenant."""

from flask import current_app, g
from werkzeug.local import LocalProxy

from .tenancy import current_tenant


def _standalone_user():
    from flask_login import current_user

    user = current_user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def get_current_user():
    """Return the logged-in user of the current tenant, or None.

    A login belongs to one tenant: a session made in tenant A is anonymous in tenant B.
    Deactivated users are anonymous too.
    """
    if "tickets_user" in g:
        return g.tickets_user
    state = current_app.extensions["xobito_tickets"]
    loader = state.identity_loader or _standalone_user
    user = loader()
    tenant = current_tenant._get_current_object()
    if user is not None and (tenant is None or user.tenant_id != tenant.id or not user.active):
        user = None
    g.tickets_user = user
    return user


#: The logged-in :class:`~xobito_tickets.models.User` of the current tenant, or None.
current_ticket_user = LocalProxy(get_current_user)
