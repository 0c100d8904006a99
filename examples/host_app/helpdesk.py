"""The helpdesk in this site: configuration and the adapter to the site's users.

This is all a host writes: settings, ``Tickets()``, and three small hooks.
"""

from xobito_tickets import Identity, Tickets

from .models import User, db

#: Settings the site sets before ``init_app`` (see the README's configuration reference).
SETTINGS = {
    "TICKETS_TENANCY": "single",  # one helpdesk, no workspace slug in its URLs
    "TICKETS_TENANT": "support",
    "TICKETS_TENANT_NAME": "Example Co support",
    "TICKETS_URL_PREFIX": "/support",
    "TICKETS_BASE_TEMPLATE": "base.html",  # the site's own layout
    "TICKETS_BASE_URL": "http://localhost:5000",  # links in emails
}

#: The site's roles, as the helpdesk's: managers run it, support staff answer.
HELPDESK_ROLES = {"manager": "admin", "support": "staff", "member": "customer"}

tickets = Tickets()


@tickets.identity_loader
def helpdesk_identity(user):
    """Describe a site user to the helpdesk."""
    return Identity(
        id=user.id,
        email=user.email,
        name=user.full_name,
        role=HELPDESK_ROLES.get(user.role, "customer"),
        active=not user.disabled,
    )


@tickets.staff_loader
def helpdesk_staff():
    """Return every site user who works in the helpdesk (for departments and assignment)."""
    return db.session.scalars(db.select(User).where(User.role.in_(["support", "manager"]))).all()
