"""Fixtures of the service-level suite: the conftest world with SLA targets, and moving a clock back."""

from datetime import timedelta

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Priority, Ticket
from xobito_tickets.sla import receivers
from xobito_tickets.sla.models import TimeSettings

ROUND_THE_CLOCK = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(autouse=True)
def _sla_receivers():
    receivers.connect_receivers()


def set_targets(tenant_id, hours=None, **targets):
    """Save business hours (round the clock unless given) and targets ``{priority_key: (frt, res)}``."""
    session.merge(
        TimeSettings(
            tenant_id=tenant_id,
            timezone="UTC",
            hours=hours or ROUND_THE_CLOCK,
            holidays=[],
            targets={str(int(Priority.from_key(key))): list(pair) for key, pair in targets.items()},
        )
    )
    session.commit()


def age_ticket(ticket_id, minutes):
    """Pretend ``minutes`` of the ticket's current clock run, and of its life, already passed."""
    ticket = session.get(Ticket, ticket_id)
    ticket.created_at -= timedelta(minutes=minutes)
    ticket.last_reply_at -= timedelta(minutes=minutes)
    if ticket.sla_clock_started_at is not None:
        ticket.sla_clock_started_at -= timedelta(minutes=minutes)
    receivers.refresh(ticket)
    session.commit()
