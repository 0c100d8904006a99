"""A due time set by hand: staff promise a ticket by a time of their choosing (PEERS §16).

It replaces the SLA clock's due time (chip, Overdue tab, sort by due, warning and breach
emails) until staff clear it; the clock's recomputations (a pause, a priority change, new
settings) leave it alone. It is written in the ticket services' transaction, in the history.
"""

from datetime import UTC

import sqlalchemy as sa
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..tickets.transaction import Transaction, record_event
from .alerts import MANUAL_KINDS
from .models import TimeAlert
from .receivers import refresh

#: The history kind of a change of the due time set by hand (old and new: ISO 8601, UTC).
HISTORY_KIND = "due_by_hand"


def _iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="minutes") if moment is not None else None


def set_manual_due(ticket, actor, due_at):
    """Set the ticket's due time by hand (an aware datetime), or clear it with None; return the ticket."""
    if actor is None or not actor.is_staff or actor.tenant_id != ticket.tenant_id:
        raise ServiceError(_("Only staff can set a ticket's due time."))
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        if ticket.is_closed:
            raise ServiceError(_("This ticket is closed: reopen it to set a due time."), field="due_at")
        due_at = due_at.astimezone(UTC).replace(second=0, microsecond=0) if due_at is not None else None
        old = ticket.due_override_at
        if old == due_at:
            return ticket
        ticket.due_override_at = due_at
        refresh(ticket)
        # The alerts of the earlier hand-set time were about that time: the new one gets its own.
        session.execute(sa.delete(TimeAlert).where(TimeAlert.ticket_id == ticket.id, TimeAlert.kind.in_(MANUAL_KINDS)))
        record_event(ticket, actor, HISTORY_KIND, _iso(old), _iso(due_at))
        session.flush()
    return ticket
