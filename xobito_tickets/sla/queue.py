"""The staff queue's Overdue tab: tickets whose next due time has passed."""

import sqlalchemy as sa

from ..i18n.setup import lazy_gettext as _l
from ..models import Ticket, utcnow
from ..tickets.access import visible_tickets_clause
from ..workspace.queue import Tab, register_tab


def overdue_clause(user=None):
    """Return the condition "the ticket's next due time has passed" (Closed and paused tickets have none)."""
    # "Now" is read when the statement runs, not when it is built: the tab counts' statement
    # that holds this condition is built once per person and run on every queue page.
    now = sa.bindparam("overdue_now", unique=True, type_=Ticket.due_at.type, callable_=lambda: utcnow())
    return sa.and_(Ticket.due_at.is_not(None), Ticket.due_at <= now)


def overdue_tally(user):
    """Return how many tickets ``user`` sees are overdue, as a subquery of the tab counts' one statement.

    The counts table knows no due times, so this counts tickets, over the due-time index
    (``ix_tickets_tickets_due``): only tickets already due are read. Being a column of the tab
    counts' statement, it costs the queue no statement of its own.
    """
    return (
        sa.select(sa.func.count())
        .select_from(Ticket)
        .where(visible_tickets_clause(user), overdue_clause(user))
        .correlate(None)
        .scalar_subquery()
    )


OVERDUE_TAB = Tab("overdue", _l("Overdue"), overdue_clause, overdue_tally)

register_tab(OVERDUE_TAB, after="unassigned")
