"""xobito_tickets: a multi-tenant support-ticket module for Flask."""

from . import signals
from .app import create_app
from .extension import Tickets
from .tenancy.current import current_ticket_user
from .tenancy.identity import Identity
from .tenancy.resolve import current_tenant

__all__ = ["Identity", "Tickets", "create_app", "current_tenant", "current_ticket_user", "signals"]
