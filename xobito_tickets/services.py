"""One function per action. Tenant and actor are explicit; the rules live here.

Each service opens a write transaction, changes the rows, records the change in the
ticket's history, sends its signal (receivers add outbox rows to the same
transaction) and commits. On any failure the transaction is rolled back and every
file written for it is removed, so nothing is half-stored.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from . import queuecounts, signals
from .db import begin_write, session
from .models import (
    TRANSITIONS,
    Attachment,
    Department,
    Priority,
    Reply,
    Role,
    Tenant,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketStatus,
    User,
    utcnow,
)
from .storage import get_storage


class ServiceError(Exception):
    """A refused action, with a message fit to show the user and the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class TicketClosedError(ServiceError):
    """A reply to a closed ticket."""


@dataclass
class UploadedFile:
    """A validated upload: the cleaned display name, the server-chosen type, the data."""

    filename: str
    content_type: str
    stream: object
    size: int


def _app():
    return current_app._get_current_object()


def _event(ticket, actor, kind, old=None, new=None):
    session.add(
        TicketEvent(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            actor_id=actor.id if actor is not None else None,
            kind=kind,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
        )
    )


def _commit_keeping_state():
    """Commit without expiring the session's objects.

    They hold what this transaction has just written (the rows a service decides on
    were reloaded under its lock), so they are current. Expiring them made the view
    reload the ticket and the tenant right after, to build the redirect: two queries
    on every action.
    """
    sess = session()
    expire, sess.expire_on_commit = sess.expire_on_commit, False
    try:
        sess.commit()
    finally:
        sess.expire_on_commit = expire


#: A ticket reloaded under its row lock, with its department (every notification names
#: it): ``of=Ticket`` locks the ticket's row only.
_LOCK_TICKET = (
    sa.select(Ticket)
    .where(Ticket.id == sa.bindparam("ticket_id"))
    .options(joinedload(Ticket.department, innerjoin=True))
    .with_for_update(of=Ticket)
    .execution_options(populate_existing=True)
)


class _Transaction:
    """Run a service body: commit at the end, or roll back and remove written files."""

    def __init__(self):
        self.written = []
        self.tally = queuecounts.Tally()

    def __enter__(self):
        begin_write()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                queuecounts.apply(self.tally.deltas())
                _commit_keeping_state()
            except BaseException:
                self._undo()
                raise
        else:
            self._undo()
        return False

    def _undo(self):
        session.rollback()
        storage = get_storage()
        for key in self.written:
            try:
                storage.delete(key)
            except OSError:
                current_app.logger.exception("could not remove %s after a failed change", key)

    def store_files(self, ticket, reply, uploader, files):
        """Write ``files`` to storage and add their Attachment rows."""
        storage = get_storage()
        rows = []
        for upload in files or ():
            upload.stream.seek(0)
            key = storage.save(ticket.tenant_id, upload.stream)
            self.written.append(key)
            rows.append(
                dict(
                    tenant_id=ticket.tenant_id,
                    ticket_id=ticket.id,
                    reply_id=reply.id if reply is not None else None,
                    uploader_id=uploader.id,
                    storage_key=key,
                    filename=upload.filename,
                    content_type=upload.content_type,
                    size=upload.size,
                )
            )
        if not rows:
            return []
        # One INSERT for all files. session.add() per file would cost one statement
        # per file on SQLite, which cannot return generated ids in parameter order;
        # RETURNING without that order is one statement, matched back by the unique key.
        inserted = session.scalars(sa.insert(Attachment).returning(Attachment), rows).all()
        by_key = {attachment.storage_key: attachment for attachment in inserted}
        return [by_key[row["storage_key"]] for row in rows]

    def lock(self, ticket):
        """Reload ``ticket`` inside the write transaction, locking its row, and track its counts."""
        ticket = session.scalars(_LOCK_TICKET, {"ticket_id": ticket.id}).one()
        self.tally.track(ticket)
        return ticket


def _check_same_tenant(ticket, *people):
    for person in people:
        if person is not None and person.tenant_id != ticket.tenant_id:
            raise ServiceError("That person is not part of this workspace.")


def next_ticket_number(tenant_id):
    """Take the next ticket number of a tenant, atomically across processes.

    The UPDATE locks the tenant's counter row until the transaction ends, so
    concurrent creations wait for each other and numbers come out in commit order.
    """
    increment = (
        sa.update(TicketCounter)
        .where(TicketCounter.tenant_id == tenant_id)
        .values(last_number=TicketCounter.last_number + 1)
        .returning(TicketCounter.last_number)
    )
    number = session.execute(increment).scalar()
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
            number = session.execute(increment).scalar()
    return number


def open_ticket(tenant, requester, department, subject, body, priority=Priority.MEDIUM, files=()):
    """Create a ticket (status Open) for ``requester`` and return it."""
    if department is None or department.tenant_id != tenant.id or not department.active:
        raise ServiceError("Choose one of the listed departments.", field="department")
    if requester.tenant_id != tenant.id:
        raise ServiceError("That person is not part of this workspace.")
    with _Transaction() as tx:
        # Number first: on PostgreSQL it takes the counter row's lock, so the time read
        # after it orders tickets exactly as their numbers do.
        number = next_ticket_number(tenant.id)
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
        attachments = tx.store_files(ticket, None, requester, files)
        _event(ticket, requester, "created", new=TicketStatus.OPEN.value)
        session.flush()
        signals.ticket_created.send(_app(), ticket=ticket, actor=requester, attachments=attachments)
    return ticket


def post_reply(ticket, author, body, files=()):
    """Add a reply by ``author`` and move the status as SPEC §4 says; return the reply."""
    _check_same_tenant(ticket, author)
    with _Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        action = "staff_reply" if author.is_staff else "customer_reply"
        new_status = TRANSITIONS.get((old_status, action))
        if new_status is None:
            raise TicketClosedError("This ticket is closed. Open a new ticket to follow up.", field="body")
        now = utcnow()
        reply = Reply(tenant_id=ticket.tenant_id, ticket_id=ticket.id, author_id=author.id, body=body, created_at=now)
        session.add(reply)
        session.flush()
        attachments = tx.store_files(ticket, reply, author, files)
        ticket.last_reply_at = now
        _event(ticket, author, "replied", new=str(reply.id))
        if new_status != old_status:
            ticket.status = new_status.value
            _event(ticket, author, "status", old_status.value, new_status.value)
        session.flush()
        signals.reply_posted.send(
            _app(),
            ticket=ticket,
            actor=author,
            reply=reply,
            attachments=attachments,
            old_status=old_status,
            new_status=new_status,
        )
    return reply


def close_ticket(ticket, actor):
    """Close an Open or Answered ticket."""
    _check_same_tenant(ticket, actor)
    with _Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        if TRANSITIONS.get((old_status, "close")) is None:
            raise ServiceError("This ticket is already closed.")
        ticket.status = TicketStatus.CLOSED.value
        ticket.closed_at = utcnow()
        _event(ticket, actor, "status", old_status.value, TicketStatus.CLOSED.value)
        session.flush()
        signals.ticket_closed.send(_app(), ticket=ticket, actor=actor, old_status=old_status)
    return ticket


def reopen_ticket(ticket, actor):
    """Reopen a closed ticket (staff and admins only)."""
    _check_same_tenant(ticket, actor)
    if not actor.is_staff:
        raise ServiceError("Only staff can reopen a ticket. Open a new ticket to follow up.")
    with _Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        if TRANSITIONS.get((old_status, "reopen")) is None:
            raise ServiceError("Only a closed ticket can be reopened.")
        ticket.status = TicketStatus.OPEN.value
        ticket.closed_at = None
        _event(ticket, actor, "status", old_status.value, TicketStatus.OPEN.value)
        session.flush()
        signals.ticket_reopened.send(_app(), ticket=ticket, actor=actor)
    return ticket


def assign_ticket(ticket, actor, department, assignee):
    """Route ``ticket`` to ``department`` and/or ``assignee`` (a staff member or admin, or None)."""
    _check_same_tenant(ticket, actor, assignee)
    if not actor.is_staff:
        raise ServiceError("Only staff can assign tickets.")
    if department is None or department.tenant_id != ticket.tenant_id:
        raise ServiceError("Choose one of the listed departments.", field="department")
    if assignee is not None and not assignee.is_staff:
        raise ServiceError("Choose an active staff member or admin.", field="assignee")
    with _Transaction() as tx:
        ticket = tx.lock(ticket)
        old_department = ticket.department
        old_assignee = ticket.assignee
        department_changed = ticket.department_id != department.id
        assignee_changed = ticket.assignee_id != (assignee.id if assignee else None)
        # A deactivated assignee may stay on a ticket that is only moved to another
        # department; nobody can newly hand a ticket to them.
        if assignee_changed and assignee is not None and not assignee.active:
            raise ServiceError("Choose an active staff member or admin.", field="assignee")
        if department_changed and not department.active:
            raise ServiceError("That department is inactive.", field="department")
        if not (department_changed or assignee_changed):
            return ticket
        if department_changed:
            ticket.department_id = department.id
            _event(ticket, actor, "department", old_department.name, department.name)
        if assignee_changed:
            ticket.assignee_id = assignee.id if assignee else None
            _event(
                ticket,
                actor,
                "assigned",
                old_assignee.name if old_assignee else None,
                assignee.name if assignee else None,
            )
        session.flush()
        session.refresh(ticket, ["department", "assignee"])
        signals.ticket_assigned.send(
            _app(),
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
        raise ServiceError("Only staff can change the priority.")
    priority = Priority(priority)
    with _Transaction() as tx:
        ticket = tx.lock(ticket)
        old_priority = Priority(ticket.priority)
        if old_priority == priority:
            return ticket
        ticket.priority = int(priority)
        _event(ticket, actor, "priority", old_priority.label, priority.label)
        session.flush()
        signals.priority_changed.send(
            _app(), ticket=ticket, actor=actor, old_priority=old_priority, new_priority=priority
        )
    return ticket


def create_tenant(slug, name, allow_signup=None):
    """Create a workspace and its ticket counter."""
    from .tenancy import is_valid_slug

    if not is_valid_slug(slug):
        raise ServiceError(
            "A workspace slug is 2–63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
            field="slug",
        )
    if session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ServiceError(f"A workspace with the slug {slug!r} exists already.", field="slug")
    if allow_signup is None:
        allow_signup = current_app.config["TICKETS_DEFAULT_ALLOW_SIGNUP"]
    tenant = Tenant(slug=slug, name=name.strip() or slug, allow_signup=allow_signup)
    session.add(tenant)
    session.flush()
    session.add(TicketCounter(tenant_id=tenant.id, last_number=0))
    session.commit()
    return tenant


def normalize_email(email):
    """Return ``email`` stripped and lower-cased (addresses compare case-insensitively)."""
    return (email or "").strip().lower()


def create_user(tenant, email, name, role=Role.CUSTOMER, password=None, external_id=None, commit=True):
    """Create a user of ``tenant``; the email must be new in that tenant."""
    email = normalize_email(email)
    role = Role(role)
    if any(c in email + name for c in "\r\n"):
        raise ServiceError("Line breaks are not allowed here.")
    exists = session.scalar(sa.select(User.id).where(User.tenant_id == tenant.id, User.email == email))
    if exists is not None:
        raise ServiceError("An account with this email exists already.", field="email")
    user = User(
        tenant_id=tenant.id,
        email=email,
        name=name.strip(),
        role=role.value,
        password_hash=generate_password_hash(password) if password else None,
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
        raise ServiceError("A department with this name exists already.", field="name")
    for member in members:
        if member.tenant_id != tenant.id or not member.is_staff:
            raise ServiceError("Members must be staff or admins of this workspace.", field="members")
    department = Department(
        tenant_id=tenant.id, name=name, description=description or "", active=active, members=list(members)
    )
    session.add(department)
    session.commit()
    return department
