"""Who and where: the tenant of each request, the host's users (identity hooks), the current person.
Imports models and db only; it knows no services (the extension hands it the directory sync)."""

from .current import current_ticket_user, get_current_user, is_host_auth
from .resolve import current_tenant, ensure_tenant, pull_tenant, single_tenant, use_tenant
from .workspaces import create_tenant, is_valid_slug

__all__ = [
    "create_tenant",
    "current_tenant",
    "current_ticket_user",
    "ensure_tenant",
    "get_current_user",
    "is_host_auth",
    "is_valid_slug",
    "pull_tenant",
    "single_tenant",
    "use_tenant",
]
