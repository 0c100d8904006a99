"""Demo data of the workspace: internal notes (one with a mention) and tags on some demo tickets."""

import sqlalchemy as sa

from ..db import session
from ..models import Ticket, TicketStatus
from .services import add_note, change_tags

#: (note, tags) for the demo's oldest tickets that are still open, in number order.
STORIES = [
    ("Customer is on the Enterprise plan: answer within the hour. @Sam Support FYI.", ["VIP"]),
    ("Reproduced on staging with the customer's export file; looks like the timezone bug.", ["bug", "export"]),
    ("Asked billing on chat: the refund went out yesterday, waiting for the bank.", ["billing", "refund"]),
    ("Second report this week from this company, keep an eye on it.", ["VIP", "follow-up"]),
]


def add_notes_and_tags(tenant, people):
    """Add a note and tags, through the services, to a few open tickets of the demo ``tenant``."""
    author = people["admin@demo.test"]
    tickets = session.scalars(
        sa.select(Ticket)
        .where(Ticket.tenant_id == tenant.id, Ticket.status != TicketStatus.CLOSED.value)
        .order_by(Ticket.number)
        .limit(len(STORIES))
    ).all()
    for ticket, (note, tags) in zip(tickets, STORIES, strict=False):
        add_note(ticket, author, note)
        change_tags(ticket, author, add=tags)
