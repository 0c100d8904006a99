"""What staff see of a ticket's due time: a small chip on the queue and the ticket page."""

from dataclasses import dataclass

from babel.units import format_unit
from flask_babel import gettext as _

from ..i18n.dates import current_locale
from ..i18n.setup import lazy_gettext as _l
from ..models import TicketStatus, utcnow
from .settings import policy_for


@dataclass(frozen=True)
class DueChip:
    """A due chip: ``state`` (overdue, soon, due, paused), its text, and the exact time for its title."""

    state: str
    text: str
    due_at: object = None


def span_text(seconds):
    """Return a short span in the reader's language: ``45m``, ``3h 20m``, ``2d 4h`` (CLDR's narrow units)."""
    minutes = max(0, int(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [(days, "duration-day"), (hours, "duration-hour")]
    elif hours:
        parts = [(hours, "duration-hour"), (minutes, "duration-minute")]
    else:
        parts = [(minutes, "duration-minute")]
    locale = current_locale()
    shown = [
        format_unit(value, unit, length="narrow", locale=locale) for value, unit in parts if value or len(parts) == 1
    ]
    return " ".join(shown)


def due_chip(ticket, now=None):
    """Return the :class:`DueChip` of ``ticket`` (a Ticket or a queue row), or None when nothing is due."""
    if ticket.status == TicketStatus.CLOSED.value:
        return None
    due_at = ticket.due_at
    if due_at is None:
        return None
    now = now or utcnow()
    left = (due_at - now).total_seconds()
    if left <= 0:
        return DueChip("overdue", _("Overdue %(span)s", span=span_text(-left)), due_at)
    warn_at = ticket.sla_warn_at
    if warn_at is not None and warn_at <= now:
        return DueChip("soon", _("Due in %(span)s", span=span_text(left)), due_at)
    return DueChip("due", _("Due in %(span)s", span=span_text(left)), due_at)


def clock_summary(ticket):
    """Return the ticket page's lines about its clocks: ``[(label, text)]``."""
    lines = []
    if ticket.first_response_at is None and ticket.first_response_due_at is not None and not ticket.is_closed:
        lines.append((_l("First response due"), ticket.first_response_due_at))
    if ticket.resolution_due_at is not None:
        lines.append((_l("Resolution due"), ticket.resolution_due_at))
    return lines


def is_paused(ticket):
    """Return True when the ticket has a resolution target and its clock waits on the customer."""
    if ticket.status != TicketStatus.ANSWERED.value or ticket.sla_clock_started_at is not None:
        return False
    return policy_for(ticket.tenant_id, ticket.priority).resolution_minutes is not None
