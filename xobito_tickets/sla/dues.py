"""A ticket's SLA clock: run, pause, stop, and the due times it leads to.

One clock counts the business time a ticket spends waiting on staff: it runs from creation,
pauses when staff answer (waiting on the customer), runs again when the customer replies or
the ticket is reopened, and stops at Closed. ``sla_used_seconds`` holds what earlier runs
counted; ``sla_clock_started_at`` when the current run began (None: not running). The first
response can only be owed while the clock runs (staff's answer is what pauses it), so both
targets are measured on the same clock, and a new target (priority change) is measured from
the business time already used, never from zero.
"""

from datetime import timedelta

from ..models import TicketStatus
from .clock import add_business_seconds, business_seconds


def used_seconds(ticket, calendar, now):
    """Return the business seconds this ticket has waited on staff, up to ``now``."""
    used = ticket.sla_used_seconds or 0
    if ticket.sla_clock_started_at is not None:
        used += business_seconds(calendar, ticket.sla_clock_started_at, now)
    return used


def run_clock(ticket, now):
    """Start the clock (creation, a customer's reply, reopen); a running clock keeps running."""
    if ticket.sla_clock_started_at is None:
        ticket.sla_clock_started_at = now
        ticket.sla_used_seconds = ticket.sla_used_seconds or 0


def pause_clock(ticket, calendar, now):
    """Stop counting (staff answered, or the ticket closed), keeping the time used so far."""
    if ticket.sla_clock_started_at is not None:
        ticket.sla_used_seconds = used_seconds(ticket, calendar, now)
        ticket.sla_clock_started_at = None


def _due(calendar, started, used_before, target_minutes):
    # The due moment of this run; before ``started`` when the target was already used up
    # (a priority change to a shorter target), counted back in business time.
    remaining = target_minutes * 60 - used_before
    return add_business_seconds(calendar, started, remaining)


def _set(ticket, name, value):
    # Only real changes: an unchanged ticket (no targets) must cost no UPDATE.
    if getattr(ticket, name) != value:
        setattr(ticket, name, value)


def refresh_dues(ticket, calendar, first_response_minutes, resolution_minutes, warn_before_minutes=0):
    """Set the ticket's due times from its clock and the targets of its priority (None: no target)."""
    started = ticket.sla_clock_started_at
    running = started is not None and ticket.status != TicketStatus.CLOSED.value
    used = ticket.sla_used_seconds or 0
    first_due = ticket.first_response_due_at
    if ticket.first_response_at is None and running:
        first_due = (
            _due(calendar, started, used, first_response_minutes) if first_response_minutes is not None else None
        )
    resolution_due = None
    if running and resolution_minutes is not None:
        resolution_due = _due(calendar, started, used, resolution_minutes)
    pending = [resolution_due]
    if ticket.first_response_at is None:
        pending.append(first_due)
    pending = [due for due in pending if due is not None]
    due_at = min(pending) if running and pending else None
    if ticket.due_override_at is not None:
        # Set by hand: it holds through pauses, priority changes and new settings until staff
        # clear it; only Closed ends it (nothing is due on a closed ticket; a reopen brings it back).
        due_at = ticket.due_override_at if ticket.status != TicketStatus.CLOSED.value else None
    warn_at = None
    if due_at is not None:
        # Without any working hours no business time passes: warn at the due time itself.
        lead = -warn_before_minutes * 60 if calendar.works_at_all else 0
        warn_at = add_business_seconds(calendar, due_at, lead)
    _set(ticket, "first_response_due_at", first_due)
    _set(ticket, "resolution_due_at", resolution_due)
    _set(ticket, "due_at", due_at)
    _set(ticket, "sla_warn_at", warn_at)


def remaining_seconds(ticket, now):
    """Return the wall-clock seconds until the ticket's next due time (negative: overdue), or None."""
    if ticket.due_at is None:
        return None
    return (ticket.due_at - now) // timedelta(seconds=1)
