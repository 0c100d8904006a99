"""Internal notes and tags: each change in the ticket transaction (lock, history, counts, signal)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import signals
from ..db import session
from ..errors import ServiceError
from ..models import TRANSITIONS, MessageKind, Reply, Role, TicketStatus, User, department_members, utcnow
from ..tickets.services import assign_ticket, change_priority
from ..tickets.transaction import Transaction, current_app_object, record_event
from .mentions import find_mentions
from .models import Tag, TicketTag
from .tagtext import TagError, parse_tags, tag_key


def _check_staff(ticket, actor):
    if actor is None or actor.tenant_id != ticket.tenant_id or not actor.is_staff:
        raise ServiceError(_("Only staff of this workspace can do this."))


def staff_who_see(ticket):
    """Return the active staff and admins who may see ``ticket`` (admins, its department, its assignee)."""
    member = sa.select(department_members.c.user_id).where(department_members.c.department_id == ticket.department_id)
    return session.scalars(
        sa.select(User)
        .where(
            User.tenant_id == ticket.tenant_id,
            User.active.is_(True),
            sa.or_(
                User.role == Role.ADMIN.value,
                sa.and_(User.role == Role.STAFF.value, sa.or_(User.id.in_(member), User.id == ticket.assignee_id)),
            ),
        )
        .order_by(User.name, User.id)
    ).all()


def add_note(ticket, author, body, files=(), then_close=False):
    """Add an internal note by ``author`` (staff); optionally close the ticket in the same transaction.

    A note changes no status, is no response to the customer, and leaves the
    customer-facing last activity and ``last_message_by`` as they were.
    """
    _check_staff(ticket, author)
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        old_status = TicketStatus(ticket.status)
        if then_close and TRANSITIONS.get((old_status, "close")) is None:
            raise ServiceError(_("This ticket is already closed."), field="body")
        note = Reply(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            author_id=author.id,
            body=body,
            kind=MessageKind.NOTE.value,
            created_at=utcnow(),
        )
        session.add(note)
        session.flush()
        attachments = tx.store_files(ticket, note, author, files)
        record_event(ticket, author, "note", new=str(note.id))
        mentioned = [person for person in find_mentions(body, staff_who_see(ticket)) if person.id != author.id]
        if then_close:
            ticket.status = TicketStatus.CLOSED.value
            ticket.closed_at = utcnow()
            record_event(ticket, author, "status", old_status.value, TicketStatus.CLOSED.value)
        session.flush()
        signals.note_added.send(
            current_app_object(), ticket=ticket, actor=author, note=note, attachments=attachments, mentioned=mentioned
        )
        if then_close:
            signals.ticket_closed.send(current_app_object(), ticket=ticket, actor=author, old_status=old_status)
    return note


def ticket_tags(ticket):
    """Return the names of ``ticket``'s tags, sorted case-insensitively."""
    names = session.scalars(
        sa.select(Tag.name)
        .join(TicketTag, TicketTag.tag_id == Tag.id)
        .where(TicketTag.ticket_id == ticket.id, TicketTag.tenant_id == ticket.tenant_id)
    ).all()
    return sorted(names, key=str.casefold)


def tags_of_tickets(tenant_id, ticket_ids):
    """Return ``{ticket_id: [tag names]}`` for a page of tickets, in one query."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        sa.select(TicketTag.ticket_id, Tag.name)
        .join(Tag, Tag.id == TicketTag.tag_id)
        .where(TicketTag.tenant_id == tenant_id, TicketTag.ticket_id.in_(list(ticket_ids)))
    )
    tags = {}
    for ticket_id, name in rows:
        tags.setdefault(ticket_id, []).append(name)
    return {ticket_id: sorted(names, key=str.casefold) for ticket_id, names in tags.items()}


def tenant_tags(tenant_id):
    """Return every tag name of a tenant, sorted case-insensitively (the filter's choices)."""
    return sorted(session.scalars(sa.select(Tag.name).where(Tag.tenant_id == tenant_id)).all(), key=str.casefold)


def _tags_by_key(tenant_id, names, create):
    """Return ``{key: Tag}`` for ``names``; with ``create``, make the missing ones (race-safe)."""
    keys = {tag_key(name): name for name in names}
    if not keys:
        return {}
    found = {
        tag.key: tag
        for tag in session.scalars(sa.select(Tag).where(Tag.tenant_id == tenant_id, Tag.key.in_(list(keys))))
    }
    for key, name in keys.items():
        if key in found or not create:
            continue
        try:
            # Another request may create the same tag at the same moment: the unique
            # key refuses the second, inside a savepoint, and that one uses the first's.
            with session.begin_nested():
                tag = Tag(tenant_id=tenant_id, name=name, key=key, created_at=utcnow())
                session.add(tag)
            found[key] = tag
        except sa.exc.IntegrityError:
            found[key] = session.scalar(sa.select(Tag).where(Tag.tenant_id == tenant_id, Tag.key == key))
    return found


def change_tags(ticket, actor, add=(), remove=(), replace=None):
    """Add and remove tags on ``ticket`` (or ``replace`` its set); return ``(added, removed)`` names.

    Tag names are parsed by :func:`~.tagtext.parse_tags` rules; a change is recorded in
    the history one line per tag. Nothing changes when nothing differs.
    """
    _check_staff(ticket, actor)
    try:
        add = parse_tags(",".join(add)) if not isinstance(add, str) else parse_tags(add)
        remove = parse_tags(",".join(remove)) if not isinstance(remove, str) else parse_tags(remove)
        if replace is not None:
            replace = parse_tags(replace) if isinstance(replace, str) else parse_tags(",".join(replace))
    except TagError as exc:
        raise ServiceError(str(exc), field="tags") from exc
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        current = {
            tag.key: tag
            for tag in session.scalars(
                sa.select(Tag).join(TicketTag, TicketTag.tag_id == Tag.id).where(TicketTag.ticket_id == ticket.id)
            )
        }
        if replace is not None:
            wanted = {tag_key(name): name for name in replace}
            add = [name for key, name in wanted.items() if key not in current]
            remove_keys = [key for key in current if key not in wanted]
        else:
            add = [name for name in add if tag_key(name) not in current]
            remove_keys = [tag_key(name) for name in remove if tag_key(name) in current]
        total = len(current) - len(remove_keys) + len(add)
        if total > 20:
            raise ServiceError(_("A ticket carries at most %(most)s tags.", most=20), field="tags")
        if not add and not remove_keys:
            return [], []
        tags = _tags_by_key(ticket.tenant_id, add, create=True)
        added = []
        for name in add:
            tag = tags[tag_key(name)]
            session.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id, tenant_id=ticket.tenant_id))
            record_event(ticket, actor, "tagged", new=tag.name)
            added.append(tag.name)
        removed = []
        if remove_keys:
            ids = [current[key].id for key in remove_keys]
            session.execute(sa.delete(TicketTag).where(TicketTag.ticket_id == ticket.id, TicketTag.tag_id.in_(ids)))
            for key in remove_keys:
                record_event(ticket, actor, "untagged", old=current[key].name)
                removed.append(current[key].name)
        session.flush()
        signals.tags_changed.send(current_app_object(), ticket=ticket, actor=actor, added=added, removed=removed)
    return added, removed


def save_properties(ticket, actor, priority=None, tags=None, assignment=None):
    """Save the side panel as one action: ``priority``, ``tags`` (names), ``assignment`` (department, assignee).

    One transaction: if any part is refused, nothing is stored and no email leaves; the
    :class:`ServiceError` names the field it is about. None leaves a part as it is. The
    assignment comes last: it may take the ticket out of the person's sight.
    """
    with Transaction():
        part = "priority"
        try:
            if priority is not None:
                change_priority(ticket, actor, priority)
            part = "tags"
            if tags is not None:
                change_tags(ticket, actor, replace=tags)
            part = "assignee"
            if assignment is not None:
                assign_ticket(ticket, actor, *assignment)
        except ServiceError as exc:
            exc.field = exc.field or part
            raise
    return ticket
