"""What an admin does with a quarantined message: attach it to a ticket, open it as a new ticket, discard it."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..models import Role, Ticket, User
from ..team.services import create_user, normalize_email
from . import ingest as inbound
from .models import InboundMessage, InboundOutcome
from .parse import parse_message
from .settings import default_department


def get_log_row(tenant, row_id):
    """Return inbound log row ``row_id`` of ``tenant``, or None."""
    if not isinstance(row_id, int) or not (0 < row_id < 2**31):
        return None
    return session.scalar(
        sa.select(InboundMessage).where(InboundMessage.id == row_id, InboundMessage.tenant_id == tenant.id)
    )


def _sender_account(tenant, parsed):
    """Return the sender's account, made (customer, no password) when missing: the admin vouches for it."""
    user = session.scalar(
        sa.select(User).where(User.tenant_id == tenant.id, User.email == normalize_email(parsed.sender))
    )
    if user is not None:
        if not user.active:
            raise ServiceError(_("The sender's account is deactivated."))
        return user
    name = parsed.sender_name or parsed.sender.partition("@")[0]
    return create_user(tenant, parsed.sender, name[:200], role=Role.CUSTOMER, password=None)


def _parsed_quarantined(row):
    if row.outcome != InboundOutcome.QUARANTINED:
        raise ServiceError(_("Only a quarantined message can be released or discarded."))
    raw = inbound.read_raw(row)
    parsed = parse_message(raw)
    if not raw or not parsed.sender:
        raise ServiceError(_("This message cannot be posted (no sender, or it was not kept); discard it."))
    return parsed


def _release(tenant, row, action, reason):
    state = {"row": row}
    token = inbound._pending_log.set(state)
    try:
        action()
    except ServiceError:
        session.rollback()
        raise
    finally:
        inbound._pending_log.reset(token)
    if not state.get("done"):
        raise ServiceError(_("The message was not posted."))
    row.reason = reason[:255]
    session.commit()
    return row


def attach_to_ticket(tenant, row, ticket, actor):
    """Post a quarantined message as a reply on ``ticket`` by its sender; return the log row."""
    parsed = _parsed_quarantined(row)
    if ticket.tenant_id != tenant.id:
        raise ServiceError(_("No such ticket."), field="ticket")
    author = _sender_account(tenant, parsed)
    body, files = inbound._text_and_files(
        parsed, inbound._config("TICKETS_REPLY_MAX"), inbound._config("TICKETS_REPLY_MIN")
    )
    return _release(
        tenant,
        row,
        lambda: inbound.post_reply(ticket, author, body, files=files),
        f"attached to {ticket.display_number} by {actor.name}",
    )


def open_as_ticket(tenant, row, actor):
    """Open a new ticket from a quarantined message, for its sender; return the log row."""
    parsed = _parsed_quarantined(row)
    requester = _sender_account(tenant, parsed)
    if requester.is_staff:
        raise ServiceError(_("The sender is a staff member; attach the message to a ticket instead."))
    department = inbound._addressed_department(tenant, parsed) or default_department(tenant)
    if department is None:
        raise ServiceError(_("There is no active department to open the ticket in."))
    body, files = inbound._text_and_files(
        parsed, inbound._config("TICKETS_BODY_MAX"), inbound._config("TICKETS_BODY_MIN")
    )
    subject = inbound._new_ticket_subject(parsed)
    return _release(
        tenant,
        row,
        lambda: inbound.open_ticket(tenant, requester, department, subject, body, files=files),
        f"opened as a ticket by {actor.name}",
    )


def discard(tenant, row, actor):
    """Mark a quarantined message discarded and delete its stored copy."""
    if row.outcome != InboundOutcome.QUARANTINED:
        raise ServiceError(_("Only a quarantined message can be discarded."))
    key = row.raw_key
    row.outcome = InboundOutcome.DISCARDED
    row.reason = f"discarded by {actor.name}"[:255]
    row.raw_key = None
    session.commit()
    inbound._discard_raw(key)
    return row


def ticket_by_number(tenant, number):
    """Return the ticket of ``tenant`` with that number, or None."""
    return session.scalar(sa.select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.number == number))
