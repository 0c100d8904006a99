"""The staff queue's Overdue tab: open tickets whose next due time has passed."""

import sqlalchemy as sa

from ..models import Ticket, utcnow
from ..workspace.queue import Tab, register_tab


def overdue_clause(user=None):
    """Return the condition "the ticket's next due time has passed" (Closed and paused tickets have none)."""
    return sa.and_(Ticket.due_at.is_not(None), Ticket.due_at <= utcnow())


#: No tally: the counts table knows no due times, so the count is one ``COUNT(*)`` over the
#: due-time index (``ix_tickets_tickets_due``), which reads only the tickets already due.
OVERDUE_TAB = Tab("overdue", "Overdue", overdue_clause)

register_tab(OVERDUE_TAB, after="unassigned")
