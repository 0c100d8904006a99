"""One function per ticket action. Tenant and actor are explicit; the rules live here.

Each service runs in a :class:`~xobito_tickets.tickets.transaction.Transaction`: it
changes the rows, records the change in the ticket's history, sends its signal
(receivers add outbox rows to the same transaction) and commits. On any failure the
transaction is rolled back and every file written for it is removed, so nothing is
half-stored.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import signals
from ..db import session
from ..errors import ServiceError, TicketClosedError
from ..models import TRANSITIONS, Priority, Reply, Ticket, TicketCounter, TicketStatus, utcnow
from .transaction import Transaction, current_app_object, record_event, with_tenant_checks

__all__ = [
    "ServiceError",
    "TicketClosedError",
    "add_ticket",
    "assign_ticket",
    "change_priority",
    "close_automatically",
    "close_ticket",
    "next_ticket_number",
    "open_ticket",
    "post_reply",
    "reopen_ticket",
]


def _check_same_tenant(ticket, *people):
    for person in people:
        if person is not None and person.tenant_id != ticket.tenant_id:
            raise ServiceError(_("That person is not part of this workspace."))


#: The counter's UPDATE (see :func:`next_ticket_number`).
_COUNTERS = TicketCounter.__table__
_INCREMENT = (
    sa.update(_COUNTERS)
    .where(_COUNTERS.c.tenant_id == sa.bindparam("counter_tenant_id"))
    .values(last_number=_COUNTERS.c.last_number + 1)
    .returning(_COUNTERS.c.last_number)
)


def next_ticket_number(tenant_id, tx=None):
    """Take the next ticket number of a tenant, atomically across processes.

    The UPDATE locks the tenant's counter row until the transaction ends, so
    concurrent creations wait for each other and numbers come out in commit order.
    With ``tx`` (the running transaction), the same statement reads its tenant checks.
    """
    params = {"counter_tenant_id": tenant_id}
    if tx is None:
        number = session.execute(_INCREMENT, params).scalar()
    else:
        # The tenant by parameter: SQLite writes RETURNING's columns without their table,
        # so a subquery there could not tell the counter's tenant_id from its own.
        statement = with_tenant_checks("counter", _INCREMENT, sa.bindparam("counter_tenant_id"))
        row = session.execute(statement, params).first()
        number = None
        if row is not None:
            number = row[0]
            tx.remember_tenant_checks(tenant_id, row)
    if number is None:
        # A tenant made without create_tenant has no counter yet. Two processes may
        # both get here: the second INSERT fails on the primary key, inside a
        # savepoint, and that process simply increments the winner's row.
        highest = session.scalar(sa.select(sa.func.max(Ticket.number)).where(Ticket.tenant_id == tenant_id)) or 0
        try:
            with session.begin_nested():
                session.add(TicketCounter(tenant_id=tenant_id, last_number=highest + 1))
            number = highest + 1
        except sa.exc.IntegrityError:
            number = session.execute(_INCREMENT, params).scalar()
    return number


def open_ticket(tenant, requester, department, subject, body, priority=Priority.MEDIUM, files=()):
    """Create a ticket (status Open) for ``requester`` and return it."""
    with Transaction() as tx:
        return add_ticket(tx, tenant, requester, department, subject, body, priority, files)


def add_ticket(tx, tenant, requester, department, subject, body, priority=Priority.MEDIUM, files=(), actor=None):
    """Create a ticket for ``requester`` in the running transaction ``tx``, opened by ``actor`` (or the requester)."""
    if department is None or department.tenant_id != tenant.id or not department.active:
        raise ServiceError(_("Choose one of the listed departments."), field="department")
    if requester.tenant_id != tenant.id:
        raise ServiceError(_("That person is not part of this workspace."))
    actor = actor or requester
    # Number first: on PostgreSQL it takes the counter row's lock, so the time read
    # after it orders tickets exactly as their numbers do.
    number = next_ticket_number(tenant.id, tx)
    now = utcnow()
    ticket = Ticket(
        tenant_id=tenant.id,
        number=number,
        subject=subject,
        body=body,
        department_id=department.id,
        priority=int(Priority(priority)),
        status=TicketStatus.OPEN.value,
        requester_id=requester.id,
        created_at=now,
        last_reply_at=now,
    )
    session.add(ticket)
    tx.tally.track(ticket, new=True)
    session.flush()
    attachments = tx.store_files(ticket, None, actor, files)
    record_event(ticket, actor, "created", new=TicketStatus.OPEN.value)
    tx.flush()
    signals.ticket_created.send(current_app_object(), ticket=ticket, actor=actor, attachments=attachments)
    return ticket


def post_reply(ticket, author, body, files=(), then_close=False):
    """Add a reply by ``author`` and move the status as SPEC §4 says; return the reply.

    ``then_close`` (staff, "Send and close"): close the ticket in the same transaction.
    The reply's signal then carries ``new_status`` Closed, so its one email says both;
    ``ticket_closed`` follows with ``reply`` set, and the mail receivers skip it.
    """
    _check_same_tenant(ticket, author)
    if then_close and not author.is_staff:
        raise ServiceError(_("Only staff can reply and close at once."))
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        action = "staff_reply" if author.is_staff else "customer_reply"
        new_status = TRANSITIONS.get((old_status, action))
        if new_status is None:
            raise TicketClosedError(_("This ticket is closed. Open a new ticket to follow up."), field="body")
        now = utcnow()
        reply = Reply(tenant_id=ticket.tenant_id, ticket_id=ticket.id, author_id=author.id, body=body, created_at=now)
        session.add(reply)
        session.flush()
        attachments = tx.store_files(ticket, reply, author, files)
        ticket.last_reply_at = now
        ticket.last_message_by = "staff" if author.is_staff else "customer"
        record_event(ticket, author, "replied", new=str(reply.id))
        if then_close:
            new_status = TicketStatus.CLOSED
            ticket.closed_at = now
        if new_status != old_status:
            ticket.status = new_status.value
            record_event(ticket, author, "status", old_status.value, new_status.value)
        tx.flush()
        app = current_app_object()
        signals.reply_posted.send(
            app,
            ticket=ticket,
            actor=author,
            reply=reply,
            attachments=attachments,
            old_status=old_status,
            new_status=new_status,
        )
        if then_close:
            signals.ticket_closed.send(app, ticket=ticket, actor=author, old_status=old_status, reply=reply)
    return reply


def close_ticket(ticket, actor):
    """Close an Open or Answered ticket."""
    _check_same_tenant(ticket, actor)
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        if TRANSITIONS.get((old_status, "close")) is None:
            raise ServiceError(_("This ticket is already closed."))
        ticket.status = TicketStatus.CLOSED.value
        ticket.closed_at = utcnow()
        record_event(ticket, actor, "status", old_status.value, TicketStatus.CLOSED.value)
        tx.flush()
        signals.ticket_closed.send(current_app_object(), ticket=ticket, actor=actor, old_status=old_status)
    return ticket


def close_automatically(ticket_id, waiting_since):
    """Close a ticket that still waits on its customer since ``waiting_since`` (auto-close); else None.

    Checked under the ticket's lock: a reply that arrived meanwhile keeps the ticket open.
    Nobody is the actor; the history says "closed automatically".
    """
    with Transaction() as tx:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        ticket = tx.lock(ticket)
        waiting = (
            ticket.status == TicketStatus.ANSWERED.value
            and ticket.sla_clock_started_at is None
            and ticket.last_reply_at == waiting_since
        )
        if not waiting:
            return None
        ticket.status = TicketStatus.CLOSED.value
        ticket.closed_at = utcnow()
        record_event(ticket, None, "auto_closed", TicketStatus.ANSWERED.value, TicketStatus.CLOSED.value)
        tx.flush()
        signals.ticket_closed.send(
            current_app_object(), ticket=ticket, actor=None, old_status=TicketStatus.ANSWERED, automatic=True
        )
    return ticket


def reopen_ticket(ticket, actor):
    """Reopen a closed ticket (staff and admins only)."""
    _check_same_tenant(ticket, actor)
    if not actor.is_staff:
        raise ServiceError(_("Only staff can reopen a ticket. Open a new ticket to follow up."))
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        if TRANSITIONS.get((old_status, "reopen")) is None:
            raise ServiceError(_("Only a closed ticket can be reopened."))
        ticket.status = TicketStatus.OPEN.value
        ticket.closed_at = None
        record_event(ticket, actor, "status", old_status.value, TicketStatus.OPEN.value)
        tx.flush()
        signals.ticket_reopened.send(current_app_object(), ticket=ticket, actor=actor)
    return ticket


def assign_ticket(ticket, actor, department, assignee):
    """Route ``ticket`` to ``department`` and/or ``assignee`` (a staff member or admin, or None)."""
    _check_same_tenant(ticket, actor, assignee)
    if not actor.is_staff:
        raise ServiceError(_("Only staff can assign tickets."))
    if department is None or department.tenant_id != ticket.tenant_id:
        raise ServiceError(_("Choose one of the listed departments."), field="department")
    if assignee is not None and not assignee.is_staff:
        raise ServiceError(_("Choose an active staff member or admin."), field="assignee")
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_department = ticket.department
        old_assignee = ticket.assignee
        department_changed = ticket.department_id != department.id
        assignee_changed = ticket.assignee_id != (assignee.id if assignee else None)
        # A deactivated assignee may stay on a ticket that is only moved to another
        # department; nobody can newly hand a ticket to them.
        if assignee_changed and assignee is not None and not assignee.active:
            raise ServiceError(_("Choose an active staff member or admin."), field="assignee")
        if department_changed and not department.active:
            raise ServiceError(_("That department is inactive."), field="department")
        if not (department_changed or assignee_changed):
            return ticket
        if department_changed:
            ticket.department_id = department.id
            record_event(ticket, actor, "department", old_department.name, department.name)
        if assignee_changed:
            ticket.assignee_id = assignee.id if assignee else None
            record_event(
                ticket,
                actor,
                "assigned",
                old_assignee.name if old_assignee else None,
                assignee.name if assignee else None,
            )
        tx.flush()
        session.refresh(ticket, ["department", "assignee"])
        signals.ticket_assigned.send(
            current_app_object(),
            ticket=ticket,
            actor=actor,
            old_department=old_department if department_changed else ticket.department,
            old_assignee=old_assignee,
            department_changed=department_changed,
            assignee_changed=assignee_changed,
        )
    return ticket


def change_priority(ticket, actor, priority):
    """Set the ticket's priority (staff and admins only)."""
    _check_same_tenant(ticket, actor)
    if not actor.is_staff:
        raise ServiceError(_("Only staff can change the priority."))
    priority = Priority(priority)
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_priority = Priority(ticket.priority)
        if old_priority == priority:
            return ticket
        ticket.priority = int(priority)
        record_event(ticket, actor, "priority", old_priority.label, priority.label)
        tx.flush()
        signals.priority_changed.send(
            current_app_object(), ticket=ticket, actor=actor, old_priority=old_priority, new_priority=priority
        )
    return ticket
