"""Who may see what: the one place that decides ticket visibility (SPEC §3)."""

import sqlalchemy as sa
from flask import abort

from .db import session
from .models import Attachment, Department, Ticket, User, department_members, parse_ticket_number


def visible_tickets_clause(user):
    """Return a SQL condition selecting the tickets ``user`` may see, in their tenant.

    Customers see their own tickets; staff see tickets of their departments and
    tickets assigned to them; admins see every ticket of the tenant.
    """
    in_tenant = Ticket.tenant_id == user.tenant_id
    if user.is_admin:
        return in_tenant
    if user.is_staff:
        member_of = sa.select(department_members.c.department_id).where(department_members.c.user_id == user.id)
        return sa.and_(in_tenant, sa.or_(Ticket.department_id.in_(member_of), Ticket.assignee_id == user.id))
    return sa.and_(in_tenant, Ticket.requester_id == user.id)


def visible_tickets_parts(user):
    """Return disjoint SQL conditions whose union is :func:`visible_tickets_clause` of ``user``.

    Counting part by part lets the database use one index per part (the staff
    member's departments; the tickets assigned to them elsewhere) instead of testing
    every ticket of the tenant against an OR.
    """
    if user.is_staff and not user.is_admin:
        in_tenant = Ticket.tenant_id == user.tenant_id
        member_of = sa.select(department_members.c.department_id).where(department_members.c.user_id == user.id)
        return [
            sa.and_(in_tenant, Ticket.department_id.in_(member_of)),
            sa.and_(in_tenant, Ticket.assignee_id == user.id, Ticket.department_id.not_in(member_of)),
        ]
    return [visible_tickets_clause(user)]


def can_see_ticket(user, ticket):
    """Return True if ``user`` may see ``ticket`` (same rule as the SQL clause)."""
    if user is None or not user.active or ticket.tenant_id != user.tenant_id:
        return False
    if user.is_admin:
        return True
    if user.is_staff:
        if ticket.assignee_id == user.id:
            return True
        return (
            session.scalar(
                sa.select(sa.literal(True)).where(
                    department_members.c.user_id == user.id,
                    department_members.c.department_id == ticket.department_id,
                )
            )
            is not None
        )
    return ticket.requester_id == user.id


def get_ticket_or_404(number_text, user, *options):
    """Load the ticket numbered ``number_text`` that ``user`` may see, or answer 404."""
    number = parse_ticket_number(number_text)
    if number is None or user is None:
        abort(404)
    stmt = sa.select(Ticket).where(Ticket.number == number, visible_tickets_clause(user))
    if options:
        stmt = stmt.options(*options)
    ticket = session.scalar(stmt)
    if ticket is None:
        abort(404)
    return ticket


def get_attachment_or_404(ticket, attachment_id):
    """Load attachment ``attachment_id`` of ``ticket``, or answer 404."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        abort(404)
    if not (0 < attachment_id < 2**63):
        abort(404)
    attachment = session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket.id,
            Attachment.tenant_id == ticket.tenant_id,
        )
    )
    if attachment is None:
        abort(404)
    return attachment


def active_departments(tenant_id):
    """Return the tenant's active departments, by name."""
    return session.scalars(
        sa.select(Department)
        .where(Department.tenant_id == tenant_id, Department.active.is_(True))
        .order_by(Department.name)
    ).all()


def staff_members(tenant_id, active_only=True):
    """Return the tenant's staff and admins, by name."""
    stmt = sa.select(User).where(User.tenant_id == tenant_id, User.role.in_(("staff", "admin")))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return session.scalars(stmt.order_by(User.name, User.id)).all()
