"""Who may see what: the one place that decides ticket visibility (SPEC §3)."""

from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort

from ..db import session
from ..models import (
    MAX_ROW_ID,
    Attachment,
    Department,
    QueueCount,
    Ticket,
    User,
    department_members,
    parse_ticket_number,
)
from .thread import public_attachments


def _visibility(kind, tenant_id, user_id, table=Ticket):
    """Return the visibility condition for a user of ``kind`` ("admin", "staff", "customer").

    ``tenant_id`` and ``user_id`` are values or bound parameters (see
    :func:`_ticket_by_number`); this is the one statement of the rule. ``table`` is
    ``Ticket``, or ``QueueCount`` for the counts of staff and admins, whose rows carry
    the same tenant, department and assignee columns.
    """
    in_tenant = table.tenant_id == tenant_id
    if kind == "admin":
        return in_tenant
    if kind == "staff":
        member_of = sa.select(department_members.c.department_id).where(department_members.c.user_id == user_id)
        return sa.and_(in_tenant, sa.or_(table.department_id.in_(member_of), table.assignee_id == user_id))
    return sa.and_(in_tenant, table.requester_id == user_id)


def _kind(user):
    return "admin" if user.is_admin else "staff" if user.is_staff else "customer"


@lru_cache(maxsize=4096)
def _visibility_of(kind, tenant_id, user_id, table):
    """:func:`_visibility` for plain ids, built once per person: building the clause
    on every request cost as much as running the query it goes into."""
    return _visibility(kind, tenant_id, user_id, table)


def visible_tickets_clause(user):
    """Return a SQL condition selecting the tickets ``user`` may see, in their tenant.

    Customers see their own tickets; staff see tickets of their departments and
    tickets assigned to them; admins see every ticket of the tenant.
    """
    return _visibility_of(_kind(user), user.tenant_id, user.id, Ticket)


def visible_counts_clause(user, table=QueueCount):
    """Return the condition selecting the ``QueueCount`` rows of the tickets ``user`` may see.

    Only for staff and admins: counts rows do not record the customer. ``table`` may be
    any counts table keyed like it by ``tenant_id``, ``department_id`` and
    ``assignee_id`` (the reports' rollups), so reports follow the same rule.
    """
    if not user.is_staff:
        raise ValueError("queue counts are kept for staff and admins only")
    return _visibility_of(_kind(user), user.tenant_id, user.id, table)


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


@lru_cache(maxsize=64)
def _ticket_by_number(kind, options):
    """Return the statement that loads one visible ticket by number, built once per kind and options.

    A statement built once keeps its SQL cache key; building it anew on every request
    cost as much as running it. Pass ``options`` as a module-level tuple to benefit.
    """
    visible = _visibility(kind, sa.bindparam("tenant_id"), sa.bindparam("user_id"))
    return sa.select(Ticket).where(Ticket.number == sa.bindparam("number"), visible).options(*options)


def get_ticket_or_404(number_text, user, *options):
    """Load the ticket numbered ``number_text`` that ``user`` may see, or answer 404."""
    number = parse_ticket_number(number_text)
    if number is None or user is None:
        abort(404)
    stmt = _ticket_by_number(_kind(user), options)
    ticket = session.scalar(stmt, {"number": number, "tenant_id": user.tenant_id, "user_id": user.id})
    if ticket is None:
        abort(404)
    return ticket


def get_attachment_or_404(ticket, attachment_id, include_notes=False):
    """Load attachment ``attachment_id`` of ``ticket``, or answer 404.

    Files of internal notes are found only with ``include_notes`` (the staff side):
    by default this is the customer's view, where a note's file does not exist.
    """
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        abort(404)
    if not (0 < attachment_id <= MAX_ROW_ID):
        abort(404)
    attachment = session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket.id,
            Attachment.tenant_id == ticket.tenant_id,
            sa.true() if include_notes else public_attachments(),
        )
    )
    if attachment is None:
        abort(404)
    return attachment


_ACTIVE_DEPARTMENTS = (
    sa.select(Department)
    .where(Department.tenant_id == sa.bindparam("tenant_id"), Department.active.is_(True))
    .order_by(Department.name)
)


def active_departments(tenant_id):
    """Return the tenant's active departments, by name."""
    return session.scalars(_ACTIVE_DEPARTMENTS, {"tenant_id": tenant_id}).all()


_DEPARTMENT_CHOICES = (
    sa.select(Department.id, Department.name, Department.active)
    .where(Department.tenant_id == sa.bindparam("tenant_id"))
    .order_by(Department.name)
)
_STAFF_CHOICES = (
    sa.select(User.id, User.name, User.active)
    .where(User.tenant_id == sa.bindparam("tenant_id"), User.role.in_(("staff", "admin")))
    .order_by(User.name, User.id)
)


def department_choices(tenant_id):
    """Return ``(id, name, active)`` rows of every department of the tenant, by name (for filters and forms)."""
    return session.execute(_DEPARTMENT_CHOICES, {"tenant_id": tenant_id}).all()


def staff_choices(tenant_id):
    """Return ``(id, name, active)`` rows of the tenant's staff and admins, by name (for filters and forms)."""
    return session.execute(_STAFF_CHOICES, {"tenant_id": tenant_id}).all()


#: Departments and staff in one statement (the staff ticket view and queue have a query budget).
_ASSIGNMENT_CHOICES = sa.union_all(
    sa.select(sa.literal("department").label("kind"), Department.id, Department.name, Department.active).where(
        Department.tenant_id == sa.bindparam("tenant_id")
    ),
    sa.select(sa.literal("person").label("kind"), User.id, User.name, User.active).where(
        User.tenant_id == sa.bindparam("tenant_id"), User.role.in_(("staff", "admin"))
    ),
).order_by(sa.literal_column("kind"), sa.literal_column("name"), sa.literal_column("id"))


def assignment_choices(tenant_id):
    """Return (:func:`department_choices`, :func:`staff_choices`) of the tenant, read in one query."""
    rows = session.execute(_ASSIGNMENT_CHOICES, {"tenant_id": tenant_id}).all()
    departments = [ChoiceRow(row.id, row.name, row.active) for row in rows if row.kind == "department"]
    people = [ChoiceRow(row.id, row.name, row.active) for row in rows if row.kind == "person"]
    return departments, people


class ChoiceRow(NamedTuple):
    """An ``(id, name, active)`` row of :func:`assignment_choices`."""

    id: int
    name: str
    active: bool


def staff_members(tenant_id, active_only=True):
    """Return the tenant's staff and admins, by name."""
    stmt = sa.select(User).where(User.tenant_id == tenant_id, User.role.in_(("staff", "admin")))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return session.scalars(stmt.order_by(User.name, User.id)).all()


def get_tenant_row_or_404(model, row_id, tenant_id, *options):
    """Load the ``model`` row ``row_id`` of tenant ``tenant_id``, or answer 404."""
    if not (0 < row_id <= MAX_ROW_ID):
        abort(404)
    row = session.scalar(sa.select(model).where(model.id == row_id, model.tenant_id == tenant_id).options(*options))
    if row is None:
        abort(404)
    return row


def merged_target_for(ticket, user):
    """Return the ticket ``ticket`` was merged into if ``user`` may see it (following a chain), else None."""
    seen = set()
    target = None
    current = ticket
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        found = session.scalar(
            sa.select(Ticket).where(Ticket.id == current.merged_into_id, visible_tickets_clause(user))
        )
        if found is None:
            break
        target = current = found
    return target
