"""Services of the admin pages: departments and the team (people and their roles).

The same shape as :mod:`xobito_tickets.tickets.services`: tenant and actor explicit,
the rules enforced here, one write transaction per action, ``ServiceError`` for a
refusal with the form field it belongs to. A role change, from the team page or from
a host's identity sync, goes through :func:`change_role` alone.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from .. import signals
from ..db import session
from ..errors import ServiceError
from ..models import Department, LoginSession, Role, Tenant, Ticket, User
from ..tickets.transaction import Transaction, current_app_object, record_event


def _check_admin(actor, tenant_id):
    if actor is None or not actor.is_admin or actor.tenant_id != tenant_id:
        raise ServiceError(_("Only an admin of this workspace can do that."))


def _check_department_name(tenant_id, name, department_id=None):
    """Refuse an empty name or one that another department of the tenant has (any case)."""
    if not name:
        raise ServiceError(_("Give the department a name."), field="name")
    if len(name) > 100:
        raise ServiceError(_("At most 100 characters."), field="name")
    # Departments per tenant are few; comparing in Python folds case the same way for
    # every alphabet, where SQL lower() differs between databases.
    taken = session.execute(sa.select(Department.id, Department.name).where(Department.tenant_id == tenant_id)).all()
    if any(other_id != department_id and other.casefold() == name.casefold() for other_id, other in taken):
        raise ServiceError(_("A department with this name exists already."), field="name")


def _check_members(tenant_id, members, current=()):
    current_ids = {m.id for m in current}
    for member in members:
        if member.tenant_id != tenant_id or not member.is_staff:
            raise ServiceError(_("Members must be staff or admins of this workspace."), field="members")
        if not member.active and member.id not in current_ids:
            raise ServiceError(
                _("%(name)s is deactivated and cannot join a department.", name=member.name), field="members"
            )


def update_department(actor, department, name, description, active, members):
    """Change a department's name, description, state and members."""
    _check_admin(actor, department.tenant_id)
    name = (name or "").strip()
    members = list(members)
    with Transaction():
        department = session.get(Department, department.id, populate_existing=True, with_for_update=True)
        _check_department_name(department.tenant_id, name, department.id)
        _check_members(department.tenant_id, members, department.members)
        department.name = name
        department.description = description or ""
        department.active = bool(active)
        department.members = members
    return department


def set_department_active(actor, department, active):
    """Activate or deactivate a department; its tickets stay where they are."""
    _check_admin(actor, department.tenant_id)
    with Transaction():
        department = session.get(Department, department.id, populate_existing=True, with_for_update=True)
        department.active = bool(active)
    return department


def department_has_tickets(department):
    """Return True if any ticket is (or was) filed under ``department``."""
    return (
        session.scalar(
            sa.select(Ticket.id)
            .where(Ticket.tenant_id == department.tenant_id, Ticket.department_id == department.id)
            .limit(1)
        )
        is not None
    )


def delete_department(actor, department):
    """Delete a department that never had a ticket; one with tickets can only be deactivated."""
    _check_admin(actor, department.tenant_id)
    with Transaction():
        department = session.get(Department, department.id, populate_existing=True, with_for_update=True)
        if department_has_tickets(department):
            raise ServiceError(
                _(
                    "%(name)s has tickets, so it cannot be deleted. Deactivate it instead: "
                    "customers will no longer see it and its tickets stay as they are.",
                    name=department.name,
                )
            )
        session.delete(department)


def _check_email_free(tenant_id, email, user_id=None):
    other = session.scalar(sa.select(User.id).where(User.tenant_id == tenant_id, User.email == email))
    if other is not None and other != user_id:
        raise ServiceError(_("Another account of this workspace uses this email."), field="email")


def update_person(actor, person, name, email, role):
    """Change a person's name, email and role.

    Nobody changes their own role (so a workspace always keeps the admin who is
    acting). A person who becomes a customer leaves their departments and is taken off
    the tickets assigned to them, each change written to the ticket's history.
    """
    _check_admin(actor, person.tenant_id)
    role = Role(role)
    name = " ".join((name or "").split())
    email = normalize_email(email)
    if any(c in name + email for c in "\r\n"):
        raise ServiceError(_("Line breaks are not allowed here."))
    if not name:
        raise ServiceError(_("Enter a name."), field="name")
    if person.id == actor.id and role.value != person.role:
        raise ServiceError(_("You cannot change your own role. Ask another admin."), field="role")
    with Transaction() as tx:
        person = session.get(User, person.id, populate_existing=True, with_for_update=True)
        _check_email_free(person.tenant_id, email, person.id)
        person.name = name
        person.email = email
        apply_role(tx, actor, person, role)
    return person


def apply_role(tx, actor, person, role):
    """Give ``person`` the role ``role`` inside the running transaction ``tx``.

    A person who stops being staff leaves their departments and is taken off the
    tickets assigned to them: each ticket through the transaction's lock (so the queue
    counts follow), a line in its history and the ``ticket_assigned`` signal.
    """
    role = Role(role)
    was_staff = person.is_staff
    person.role = role.value
    if not was_staff or role is not Role.CUSTOMER:
        return
    person.departments = []
    assigned = session.scalars(
        sa.select(Ticket).where(Ticket.tenant_id == person.tenant_id, Ticket.assignee_id == person.id)
    ).all()
    for ticket in assigned:
        ticket = tx.lock(ticket)
        ticket.assignee_id = None
        record_event(ticket, actor, "assigned", person.name, None)
        session.flush()
        signals.ticket_assigned.send(
            current_app_object(),
            ticket=ticket,
            actor=actor,
            old_department=ticket.department,
            old_assignee=person,
            department_changed=False,
            assignee_changed=True,
        )


def change_role(actor, person, role):
    """Change ``person``'s role in one transaction (``actor`` None: the host's identity sync)."""
    if actor is not None:
        _check_admin(actor, person.tenant_id)
    with Transaction() as tx:
        person = session.get(User, person.id, populate_existing=True, with_for_update=True)
        apply_role(tx, actor, person, role)
    return person


def deactivate_person(actor, person):
    """Deactivate a person: they cannot log in and get no email; their history stays."""
    _check_admin(actor, person.tenant_id)
    if person.id == actor.id:
        raise ServiceError(_("You cannot deactivate your own account. Ask another admin."))
    with Transaction():
        person = session.get(User, person.id, populate_existing=True, with_for_update=True)
        person.active = False
        # End their logins now, not at their next request; a later reactivation does
        # not bring an old session back.
        session.execute(sa.delete(LoginSession).where(LoginSession.user_id == person.id))
    return person


def reactivate_person(actor, person):
    """Let a deactivated person log in again."""
    _check_admin(actor, person.tenant_id)
    with Transaction():
        person = session.get(User, person.id, populate_existing=True, with_for_update=True)
        person.active = True
    return person


def set_two_factor_required(actor, tenant, required):
    """Make two-factor login mandatory (or optional again) for the staff and admins of ``tenant``.

    The admin who turns it on must have it already: otherwise the very next page would hold
    them at set-up, and a workspace whose admins are all held has nobody to turn it off.
    """
    _check_admin(actor, tenant.id)
    if required and not actor.has_two_factor:
        raise ServiceError(_("Set up two-factor login for yourself first (on your profile page), then require it."))
    with Transaction():
        # Only the tenant's row: PostgreSQL locks no row of the eagerly joined settings (an outer join).
        tenant = session.get(Tenant, tenant.id, populate_existing=True, with_for_update={"of": Tenant})
        tenant.require_two_factor = bool(required)
    return tenant


def hash_password(password):
    """Return the hash of ``password`` with the configured method (TICKETS_PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=current_app.config["TICKETS_PASSWORD_HASH_METHOD"])


def normalize_email(email):
    """Return ``email`` stripped and lower-cased (addresses compare case-insensitively)."""
    return (email or "").strip().lower()


def create_user(tenant, email, name, role=Role.CUSTOMER, password=None, external_id=None, commit=True):
    """Create a user of ``tenant``; the email must be new in that tenant."""
    email = normalize_email(email)
    role = Role(role)
    if any(c in email + name for c in "\r\n"):
        raise ServiceError(_("Line breaks are not allowed here."))
    exists = session.scalar(sa.select(User.id).where(User.tenant_id == tenant.id, User.email == email))
    if exists is not None:
        raise ServiceError(_("An account with this email exists already."), field="email")
    user = User(
        tenant_id=tenant.id,
        email=email,
        name=name.strip(),
        role=role.value,
        password_hash=hash_password(password) if password else None,
        external_id=external_id,
    )
    session.add(user)
    if commit:
        session.commit()
    else:
        session.flush()
    return user


def create_department(tenant, name, description="", active=True, members=()):
    """Create a department; its name must be new in the tenant."""
    name = name.strip()
    # Names differing only in case would confuse customers choosing a department.
    taken = session.scalars(sa.select(Department.name).where(Department.tenant_id == tenant.id)).all()
    if any(other.casefold() == name.casefold() for other in taken):
        raise ServiceError(_("A department with this name exists already."), field="name")
    for member in members:
        if member.tenant_id != tenant.id or not member.is_staff:
            raise ServiceError(_("Members must be staff or admins of this workspace."), field="members")
    department = Department(
        tenant_id=tenant.id, name=name, description=description or "", active=active, members=list(members)
    )
    session.add(department)
    session.commit()
    return department
