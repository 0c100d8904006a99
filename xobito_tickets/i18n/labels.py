"""The words for statuses, priorities and roles in the reader's language.

The enums in models.py keep their English ``label`` for logs, CSV and the API; pages
and emails show these instead.
"""

from flask_babel import lazy_gettext

from ..models import Priority, Role, TicketStatus
from .setup import gettext
from .setup import mark as _l

#: The English words (the catalogue's ids); the functions below translate them when called.
STATUS_TEXTS = {
    TicketStatus.OPEN.value: _l("Open"),
    TicketStatus.ANSWERED.value: _l("Answered"),
    TicketStatus.CLOSED.value: _l("Closed"),
}
PRIORITY_TEXTS = {
    Priority.LOW: _l("Low"),
    Priority.MEDIUM: _l("Medium"),
    Priority.HIGH: _l("High"),
    Priority.URGENT: _l("Urgent"),
}
ROLE_TEXTS = {
    Role.CUSTOMER.value: _l("Customer"),
    Role.STAFF.value: _l("Staff"),
    Role.ADMIN.value: _l("Admin"),
}
#: The same as lazy strings, translated when shown: for form choices built at import time.
STATUS_LABELS = {key: lazy_gettext(text) for key, text in STATUS_TEXTS.items()}
PRIORITY_LABELS = {key: lazy_gettext(text) for key, text in PRIORITY_TEXTS.items()}
ROLE_LABELS = {key: lazy_gettext(text) for key, text in ROLE_TEXTS.items()}


def status_label(status):
    """Return the shown name of a status (``"open"`` or a TicketStatus)."""
    status = str(getattr(status, "value", status))
    return gettext(STATUS_TEXTS[status]) if status in STATUS_TEXTS else status


def priority_label(priority):
    """Return the shown name of a priority (a Priority, its key or its number)."""
    if not isinstance(priority, Priority):
        priority = Priority.from_key(priority) if isinstance(priority, str) else Priority(int(priority))
    return gettext(PRIORITY_TEXTS[priority])


def role_label(role):
    """Return the shown name of a role."""
    role = str(getattr(role, "value", role))
    return gettext(ROLE_TEXTS[role]) if role in ROLE_TEXTS else role
