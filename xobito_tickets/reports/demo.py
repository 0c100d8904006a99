"""Demo data of the reports: ratings on the demo's closed tickets, and rollups counted from its back-dated history."""

import random
from datetime import timedelta

import sqlalchemy as sa

from ..db import session
from ..models import Ticket, TicketEvent, TicketStatus
from ..satisfaction.models import Rating
from ..satisfaction.services import rate_ticket
from .rollup import rebuild

COMMENTS = {
    "good": ["Quick and friendly, thank you!", "Solved on the first answer.", ""],
    "bad": ["It took days to get an answer.", "I had to explain it three times."],
}


def add_demo_ratings(tenant):
    """Rate most of the tenant's closed tickets through the rating service, then count the reports from the history."""
    rng = random.Random(15)
    closed = session.scalars(
        sa.select(Ticket)
        .where(Ticket.tenant_id == tenant.id, Ticket.status == TicketStatus.CLOSED.value)
        .order_by(Ticket.id)
    ).all()
    for ticket in closed:
        if rng.random() < 0.25:
            continue
        choice = "good" if rng.random() < 0.8 else "bad"
        rating = rate_ticket(ticket, choice, rng.choice(COMMENTS[choice]))
        # The demo's history is back-dated (demo.py): the answer came a few hours after the closing.
        when = ticket.closed_at + timedelta(hours=rng.randint(1, 30))
        session.execute(sa.update(Rating).where(Rating.id == rating.id).values(created_at=when, updated_at=when))
        session.execute(
            sa.update(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "rating")
            .values(created_at=when)
        )
    # The back-dated rows were written around the services: count the rollups from them.
    rebuild(tenant.id)
    session.commit()
