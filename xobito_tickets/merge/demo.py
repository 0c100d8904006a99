"""The demo's merged ticket and CC: a duplicate folded into the original, with the duplicate's sender copied."""

import sqlalchemy as sa

from ..cc.services import add_cc
from ..db import session
from ..models import Ticket
from ..tickets.services import open_ticket
from .services import merge_ticket


def add_demo_merge_and_cc(tenant, people, departments):
    """Open a duplicate of an open Support ticket, merge it into that ticket, and copy a manager on another."""
    admin, support = people["admin@demo.test"], departments["Support"]
    original = session.scalar(
        sa.select(Ticket)
        .where(Ticket.tenant_id == tenant.id, Ticket.department_id == support.id, Ticket.status != "closed")
        .order_by(Ticket.number)
    )
    if original is None:
        return
    other = people["dan@demo.test"] if original.requester_id != people["dan@demo.test"].id else people["erin@demo.test"]
    duplicate = open_duplicate(tenant, other, support, original)
    merge_ticket(duplicate, original, admin)
    add_cc(original, admin, "it-manager@example.com")


def open_duplicate(tenant, customer, department, original):
    """Open the second report of ``original``'s problem, by ``customer``."""
    return open_ticket(
        tenant,
        customer,
        department,
        f"Same here: {original.subject}",
        f"Hello,\n\nWe see the same thing as a colleague: {original.subject.lower()}.\n\nThanks,\n{customer.name}",
    )
