"""xobito_tickets: a multi-tenant support-ticket module for Flask."""

from . import signals
from .app import create_app
from .extension import Tickets
from .identity import Identity
from .tenancy import current_tenant
from .users import current_ticket_user

__all__ = ["Identity", "Tickets", "create_app", "current_tenant", "current_ticket_user", "signals"]
