"""Fixtures of the reports and satisfaction suite: a seeded desk with tickets spread over many days."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Reply, Role, Tenant, Ticket, User
from xobito_tickets.reports import rollup
from xobito_tickets.satisfaction.models import Rating
from xobito_tickets.satisfaction.services import rate_ticket
from xobito_tickets.team.services import create_user
from xobito_tickets.tickets.services import assign_ticket, close_ticket, open_ticket, post_reply, reopen_ticket

from ..conftest import PASSWORD
from ..mail.conftest import mail_config, smtp_server  # noqa: F401  (fixtures of the closed-email tests)


def play(app, world, seed=7, tickets=40):
    """Run a random but repeatable day of helpdesk work through the services; return the ticket numbers."""
    rng = random.Random(seed)
    numbers = []
    with app.test_request_context():
        acme = session.get(Tenant, world.acme_id)
        extra = create_user(acme, "xena@acme.test", "Xena Extra", Role.STAFF, PASSWORD)
        customers = [session.get(User, world.customer_id), session.get(User, world.other_customer_id)]
        staff = [session.get(User, i) for i in (world.staff_id, world.billing_staff_id, world.admin_id)] + [extra]
        departments = [session.get(Department, world.support_id), session.get(Department, world.billing_id)]
        for i in range(tickets):
            customer = rng.choice(customers)
            ticket = open_ticket(
                acme, customer, rng.choice(departments), f"Ticket {i}", "Something broke.", rng.choice(list(Priority))
            )
            numbers.append(ticket.number)
            if rng.random() < 0.5:
                ticket = assign_ticket(ticket, staff[2], rng.choice(departments), rng.choice(staff + [None]))
            if rng.random() < 0.3:
                post_reply(ticket, customer, "More details here.")
            if rng.random() < 0.7:
                post_reply(ticket, rng.choice(staff), "We are looking into it.")
            if rng.random() < 0.3:
                post_reply(ticket, rng.choice(staff), "A second answer.")
            if rng.random() < 0.6:
                ticket = close_ticket(ticket, rng.choice([customer, staff[0]]))
                if rng.random() < 0.5:
                    rate_ticket(ticket, rng.choice(["good", "bad"]), "Thanks" if rng.random() < 0.5 else "")
                if rng.random() < 0.3:
                    ticket = reopen_ticket(ticket, staff[2])
                    if rng.random() < 0.5:
                        ticket = assign_ticket(ticket, staff[2], rng.choice(departments), rng.choice(staff))
                    if rng.random() < 0.5:
                        ticket = close_ticket(ticket, staff[0])
                        if rng.random() < 0.5:
                            rate_ticket(ticket, rng.choice(["good", "bad"]))
    return numbers


def spread_over_days(app, world, seed=11, days=60):
    """Move every ticket of acme, its replies and its rating back by a random number of days and hours."""
    rng = random.Random(seed)
    with app.app_context():
        tickets = session.scalars(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id).order_by(Ticket.id)).all()
        for ticket in tickets:
            shift = timedelta(days=rng.randrange(days), hours=rng.randrange(24), minutes=rng.randrange(60))
            ticket.created_at -= shift
            ticket.last_reply_at -= shift
            staff_replies = []
            for reply in session.scalars(sa.select(Reply).where(Reply.ticket_id == ticket.id)):
                # Replies come a random while after the ticket: first responses of all lengths.
                reply.created_at = ticket.created_at + timedelta(minutes=rng.randrange(1, 60 * 24 * 6))
                if session.get(User, reply.author_id).is_staff:
                    staff_replies.append(reply.created_at)
            # As the SLA clock would have recorded it.
            ticket.first_response_at = min(staff_replies, default=None)
            if ticket.closed_at is not None:
                ticket.closed_at = ticket.created_at + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            rating = session.scalar(sa.select(Rating).where(Rating.ticket_id == ticket.id))
            if rating is not None:
                rating.updated_at = (ticket.closed_at or ticket.created_at) + timedelta(hours=rng.randrange(48))
        session.commit()
        rollup.rebuild(world.acme_id)
        session.commit()


@pytest.fixture
def played(app, world):
    """The world with 40 tickets handled through the services (all today)."""
    return play(app, world)
