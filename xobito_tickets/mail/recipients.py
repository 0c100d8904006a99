"""Who is told about what: the recipient rules of SPEC §8, in one place.

| event | sent to |
|---|---|
| ticket created | the tenant's admins + members of the ticket's department; a receipt to the customer |
| reply by staff/admin | the customer |
| reply by the customer | the assignee; if none, the department's members; if none, the admins |
| status changed (close, reopen) | the other party |
| assigned | the new assignee (person), or the new department's members |
| any email to the customer side | also the ticket's CC addresses, with the customer's view (SPEC §14) |

Everywhere: inactive users get nothing and nobody hears about their own action
(the creation receipt is the one exception the table asks for). "If none" counts
active people only: a reply to a ticket whose assignee was deactivated goes to the
department, not into a void.
"""

import functools
from dataclasses import dataclass

import sqlalchemy as sa

from ..cc.models import TicketCC
from ..db import session
from ..models import Role, User, department_members


@dataclass(frozen=True)
class CopiedAddress:
    """A CC address as an email recipient: no name, the customer's view only.

    Its language and zone are those of the workspace account with this address, if any,
    else the requester's (a colleague copied in is likely to read what the customer reads).
    """

    email: str
    id: None = None
    name: str = ""
    active: bool = True
    language: str | None = None
    timezone: str | None = None


def deliverable(people, exclude=()):
    """Return ``people`` without duplicates, inactive users and the ids in ``exclude``, order kept."""
    seen = set(exclude)
    result = []
    for person in people:
        if person is None or person.id in seen or not person.active:
            continue
        seen.add(person.id)
        result.append(person)
    return result


def without_muted(people, kind):
    """Return ``people`` without the staff who turned emails of ``kind`` off on their profile."""
    return [p for p in people if not (p.is_staff and p.muted_notifications and kind in p.muted_notifications)]


_TENANT_ADMINS = (
    sa.select(User)
    .where(User.tenant_id == sa.bindparam("tenant_id"), User.role == Role.ADMIN.value, User.active.is_(True))
    .order_by(User.id)
)


def tenant_admins(tenant_id):
    """Return the active admins of a tenant."""
    return session.scalars(_TENANT_ADMINS, {"tenant_id": tenant_id}).all()


_MEMBERS_OF = (
    sa.select(User)
    .join(department_members, department_members.c.user_id == User.id)
    .where(
        department_members.c.department_id == sa.bindparam("department_id"),
        User.tenant_id == sa.bindparam("tenant_id"),
        User.active.is_(True),
        User.role.in_((Role.STAFF.value, Role.ADMIN.value)),
    )
    .order_by(User.id)
)


def members_of(department_id, tenant_id):
    """Return the active staff and admins who are members of a department."""
    return session.scalars(_MEMBERS_OF, {"department_id": department_id, "tenant_id": tenant_id}).all()


def staff_side(ticket, exclude=()):
    """Return who answers for ``ticket``: its assignee, else its department's members, else the admins."""
    for candidates in (
        lambda: [ticket.assignee] if ticket.assignee_id is not None else [],
        lambda: members_of(ticket.department_id, ticket.tenant_id),
        lambda: tenant_admins(ticket.tenant_id),
    ):
        people = deliverable(candidates())
        if people:
            return deliverable(people, exclude)
    return []


def customer_side(ticket, exclude=()):
    """Return the customer of ``ticket`` (if active and not excluded)."""
    return deliverable([ticket.requester], exclude)


def _admins_and_members_statement():
    member_ids = sa.select(department_members.c.user_id).where(
        department_members.c.department_id == sa.bindparam("department_id")
    )
    is_admin = User.role == Role.ADMIN.value
    return (
        sa.select(User)
        .where(
            User.tenant_id == sa.bindparam("tenant_id"),
            User.active.is_(True),
            sa.or_(is_admin, sa.and_(User.role == Role.STAFF.value, User.id.in_(member_ids))),
        )
        .order_by(sa.case((is_admin, 0), else_=1), User.id)
    )


@functools.cache
def _admins_and_members():
    # Built on first use, once per process (kept, the statement keeps its SQL cache key).
    return _admins_and_members_statement()


def admins_and_members(department_id, tenant_id):
    """Return the active admins of a tenant, then the other active staff members of a department.

    One query for what :func:`tenant_admins` and :func:`members_of` return together.
    """
    params = {"department_id": department_id, "tenant_id": tenant_id}
    return session.scalars(_admins_and_members(), params).all()


def for_ticket_created(ticket, actor):
    """Return (staff to notify, customers to send a receipt to) for a new ticket."""
    receipt = deliverable([ticket.requester])
    staff = deliverable(
        admins_and_members(ticket.department_id, ticket.tenant_id),
        exclude={actor.id, ticket.requester_id},
    )
    return staff, receipt


def for_reply(ticket, author):
    """Return who hears about a reply by ``author``."""
    if author.is_staff and author.id != ticket.requester_id:
        return customer_side(ticket, exclude={author.id})
    if author.is_staff:
        # Staff answering their own ticket: there is nobody on the other side.
        return []
    return staff_side(ticket, exclude={author.id})


def for_status_change(ticket, actor):
    """Return "the other party" of a close or reopen by ``actor``."""
    if actor is not None and actor.id == ticket.requester_id:
        return staff_side(ticket, exclude={actor.id})
    return customer_side(ticket, exclude={actor.id} if actor is not None else ())


def for_assignment(ticket, actor, assignee_changed, department_changed):
    """Return the people a (re)assignment is announced to: the new assignee, or the new department."""
    exclude = {actor.id} if actor is not None else set()
    if assignee_changed and ticket.assignee_id is not None:
        return deliverable([ticket.assignee], exclude)
    if department_changed:
        return deliverable(members_of(ticket.department_id, ticket.tenant_id), exclude)
    return []


_CC_EMAILS = (
    sa.select(TicketCC.email)
    .where(TicketCC.ticket_id == sa.bindparam("ticket_id"), TicketCC.tenant_id == sa.bindparam("tenant_id"))
    .order_by(TicketCC.id)
)


def copied_addresses(ticket, actor, already):
    """Return the ticket's CC addresses to copy on a customer-facing email about ``actor``'s action.

    ``already`` are the people emailed about it anyway: one email per address per action,
    and nobody hears about their own action.
    """
    skip = {(person.email or "").lower() for person in already}
    if actor is not None:
        skip.add((actor.email or "").lower())
    emails = session.scalars(_CC_EMAILS, {"ticket_id": ticket.id, "tenant_id": ticket.tenant_id}).all()
    emails = [email for email in emails if email not in skip]
    if not emails:
        return []
    known = {
        (email or "").lower(): (language, zone)
        for email, language, zone in session.execute(
            sa.select(User.email, User.language, User.timezone).where(
                User.tenant_id == ticket.tenant_id, sa.func.lower(User.email).in_([e.lower() for e in emails])
            )
        )
    }
    requester = (ticket.requester.language, ticket.requester.timezone)
    copied = []
    for email in emails:
        language, zone = known.get(email.lower(), requester)
        copied.append(CopiedAddress(email, language=language, timezone=zone))
    return copied


def is_customer_facing(ticket, actor, reply=False):
    """Return True if an action of ``actor`` is told to the customer side (then CCs are copied).

    A reply is, when staff other than the requester wrote it; a close or reopen is, unless the requester acted.
    """
    if reply:
        return actor is not None and actor.is_staff and actor.id != ticket.requester_id
    return actor is None or actor.id != ticket.requester_id
