"""The words for statuses, priorities and roles in the reader's language.

The enums in models.py keep their English ``label`` for logs, CSV and the API; pages
and emails show these instead.
"""

from flask_babel import lazy_gettext as _l

from ..models import Priority, Role, TicketStatus

STATUS_LABELS = {
    TicketStatus.OPEN.value: _l("Open"),
    TicketStatus.ANSWERED.value: _l("Answered"),
    TicketStatus.CLOSED.value: _l("Closed"),
}
PRIORITY_LABELS = {
    Priority.LOW: _l("Low"),
    Priority.MEDIUM: _l("Medium"),
    Priority.HIGH: _l("High"),
    Priority.URGENT: _l("Urgent"),
}
ROLE_LABELS = {
    Role.CUSTOMER.value: _l("Customer"),
    Role.STAFF.value: _l("Staff"),
    Role.ADMIN.value: _l("Admin"),
}


def status_label(status):
    """Return the shown name of a status (``"open"`` or a TicketStatus)."""
    status = str(getattr(status, "value", status))
    return str(STATUS_LABELS.get(status, status))


def priority_label(priority):
    """Return the shown name of a priority (a Priority, its key or its number)."""
    if not isinstance(priority, Priority):
        priority = Priority.from_key(priority) if isinstance(priority, str) else Priority(int(priority))
    return str(PRIORITY_LABELS[priority])


def role_label(role):
    """Return the shown name of a role."""
    role = str(getattr(role, "value", role))
    return str(ROLE_LABELS.get(role, role))
