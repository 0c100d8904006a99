"""Service levels in the demo workspace: targets configured, and clocks that match the replayed past."""

import sqlalchemy as sa

from ..db import begin_write, session
from ..models import Priority, Reply, Ticket, TicketStatus, User
from .clock import OFFICE_HOURS, business_seconds
from .settings import policy_for, refresh_dues_with, save_sla_settings

#: What a small team promises, in business minutes: (first response, resolution).
DEMO_TARGETS = {
    Priority.URGENT: (60, 480),
    Priority.HIGH: (240, 960),
    Priority.MEDIUM: (480, 2400),
    Priority.LOW: (960, 4800),
}


def seed_time_demo(tenant):
    """Configure office hours and targets, then set each demo ticket's clock from its backdated history.

    The demo replays every ticket through the services and moves each step into the past
    afterwards, so the clocks the services kept say "now"; here they are rebuilt from the rows.
    """
    save_sla_settings(tenant.id, "UTC", OFFICE_HOURS, [], 60, DEMO_TARGETS)
    begin_write()
    calendar = policy_for(tenant.id, Priority.MEDIUM).calendar
    tickets = session.scalars(sa.select(Ticket).where(Ticket.tenant_id == tenant.id).order_by(Ticket.id)).all()
    thread = {}
    for ticket_id, created_at, author_id, role in session.execute(
        sa.select(Reply.ticket_id, Reply.created_at, Reply.author_id, User.role)
        .join(User, User.id == Reply.author_id)
        .where(Reply.tenant_id == tenant.id)
        .order_by(Reply.created_at, Reply.id)
    ):
        thread.setdefault(ticket_id, []).append((created_at, author_id, role))
    for ticket in tickets:
        messages = thread.get(ticket.id, [])
        staff = [when for when, author, role in messages if role != "customer" and author != ticket.requester_id]
        ticket.first_response_at = staff[0] if staff else None
        last = messages[-1] if messages else None
        customer_last = last is None or last[2] == "customer"
        first_stop = staff[0] if staff else None
        used_until = first_stop or ticket.closed_at
        ticket.sla_used_seconds = business_seconds(calendar, ticket.created_at, used_until) if used_until else 0
        if ticket.status == TicketStatus.OPEN.value or (ticket.status == TicketStatus.ANSWERED.value and customer_last):
            ticket.sla_clock_started_at = last[0] if last is not None and staff else ticket.created_at
            if not staff:
                ticket.sla_used_seconds = 0
        else:
            ticket.sla_clock_started_at = None
        refresh_dues_with(ticket, policy_for(tenant.id, ticket.priority))
    session.commit()
