"""Keep every ticket's SLA clock and due times in step, inside the transaction of each change.

The receivers listen to the ticket services' signals (sent after the change is flushed, before
it commits) and only set columns on the ticket, which are committed with the change.
"""

from .. import signals
from ..models import utcnow
from .dues import pause_clock, run_clock
from .settings import policy_for, refresh_dues_with


def refresh(ticket, policy=None):
    """Recompute the due times of ``ticket`` from its clock and its priority's targets."""
    refresh_dues_with(ticket, policy or policy_for(ticket.tenant_id, ticket.priority))


def on_ticket_created(sender, ticket, actor, **extra):
    """Start the clock of a new ticket at its creation."""
    # The policy first: reading it after a change would flush the ticket once more.
    policy = policy_for(ticket.tenant_id, ticket.priority)
    run_clock(ticket, ticket.created_at or utcnow())
    refresh(ticket, policy)


def on_reply_posted(sender, ticket, actor, reply, **extra):
    """A staff reply is the first response and pauses the clock; a customer's reply runs it again."""
    if reply.kind == "note":
        # Notes send note_added, not this signal; should one arrive here all the same, it changes
        # no clock: a note is no answer to the customer (SPEC §14).
        return
    now = reply.created_at or utcnow()
    policy = policy_for(ticket.tenant_id, ticket.priority)
    if actor is not None and actor.is_staff and actor.id != ticket.requester_id:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        pause_clock(ticket, policy.calendar, now)
    elif not ticket.is_closed:
        run_clock(ticket, now)
    refresh(ticket, policy)


def on_ticket_closed(sender, ticket, actor, **extra):
    """Stop the clock at Closed, keeping the business time used (the resolution time)."""
    policy = policy_for(ticket.tenant_id, ticket.priority)
    pause_clock(ticket, policy.calendar, ticket.closed_at or utcnow())
    refresh(ticket, policy)


def on_ticket_merged(sender, ticket, actor, **extra):
    """Stop the source's clock: a merged ticket is Closed, its work goes on in the target."""
    on_ticket_closed(sender, ticket, actor)


def on_ticket_reopened(sender, ticket, actor, **extra):
    """Run the clock again on reopen, from the business time already used."""
    policy = policy_for(ticket.tenant_id, ticket.priority)
    run_clock(ticket, utcnow())
    refresh(ticket, policy)


def on_priority_changed(sender, ticket, actor, **extra):
    """Measure the time already used against the new priority's targets."""
    refresh(ticket)


RECEIVERS = (
    (signals.ticket_created, on_ticket_created),
    (signals.reply_posted, on_reply_posted),
    (signals.ticket_closed, on_ticket_closed),
    (signals.ticket_merged, on_ticket_merged),
    (signals.ticket_reopened, on_ticket_reopened),
    (signals.priority_changed, on_priority_changed),
)


def connect_receivers():
    """Subscribe the SLA receivers to the ticket signals (blinker keeps one connection per receiver)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
