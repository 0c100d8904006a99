"""Adding and removing a ticket's CC addresses, and the questions other features ask about them."""

import re

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..tickets.transaction import Transaction, record_event
from .models import TicketCC

#: One plain ``local@domain``: no quotes, comments, brackets, separators or spaces (the outbox's own rule).
_PLAIN_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")

#: SPEC §14: at most this many CC addresses per ticket.
MAX_CCS = 10


def normalize_cc_email(text):
    """Return ``text`` as a lower-cased plain address, or raise :class:`ServiceError` on the ``email`` field."""
    text = text or ""
    if "\r" in text or "\n" in text:
        raise ServiceError(_("Line breaks are not allowed in an email address."), field="email")
    address = text.strip().lower()
    if not address:
        raise ServiceError(_("Enter an email address."), field="email")
    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ServiceError(_("Enter a valid email address."), field="email") from None
    # Stricter than the validator: nothing that could bend a mail header (quotes, comments, brackets).
    if not _PLAIN_ADDRESS.match(address):
        raise ServiceError(_("Enter a plain address such as name@example.com."), field="email")
    return address


_CC_EMAILS = (
    sa.select(TicketCC.email)
    .where(TicketCC.ticket_id == sa.bindparam("ticket_id"), TicketCC.tenant_id == sa.bindparam("tenant_id"))
    .order_by(TicketCC.id)
)


def cc_emails(ticket):
    """Return the CC addresses of ``ticket``, in the order they were added."""
    return session.scalars(_CC_EMAILS, {"ticket_id": ticket.id, "tenant_id": ticket.tenant_id}).all()


def is_cc(ticket, email):
    """Return True if ``email`` (any case) is copied on ``ticket`` (for inbound mail: who may post by email)."""
    address = (email or "").strip().lower()
    if not address:
        return False
    found = session.scalar(
        sa.select(TicketCC.id).where(
            TicketCC.ticket_id == ticket.id, TicketCC.tenant_id == ticket.tenant_id, TicketCC.email == address
        )
    )
    return found is not None


def add_ccs_in_transaction(ticket, actor, addresses):
    """Copy ``addresses`` (normalized) on a ticket locked in the running transaction; return those added.

    Addresses already there, and the requester's own, are skipped; past :data:`MAX_CCS`
    the rest are skipped too (merge uses this: it must not fail for a full list).
    """
    present = set(cc_emails(ticket))
    requester_email = (ticket.requester.email or "").lower()
    added = []
    for address in addresses:
        if address in present or address == requester_email or len(present) >= MAX_CCS:
            continue
        session.add(TicketCC(tenant_id=ticket.tenant_id, ticket_id=ticket.id, email=address, added_by_id=actor.id))
        record_event(ticket, actor, "cc_added", new=address)
        present.add(address)
        added.append(address)
    return added


def add_cc(ticket, actor, email):
    """Copy ``email`` on ``ticket``'s customer-facing emails; return the normalized address."""
    address = normalize_cc_email(email)
    if address == (ticket.requester.email or "").lower():
        raise ServiceError(_("The customer gets these emails already."), field="email")
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        if ticket.merged_into_id is not None:
            raise ServiceError(_("This ticket was merged into another one: copy the address there."), field="email")
        present = cc_emails(ticket)
        if address in present:
            raise ServiceError(_("This address is copied already."), field="email")
        if len(present) >= MAX_CCS:
            raise ServiceError(_("A ticket can have at most %(most)s CC addresses.", most=MAX_CCS), field="email")
        add_ccs_in_transaction(ticket, actor, [address])
    return address


def remove_cc(ticket, actor, email):
    """Stop copying ``email`` on ``ticket``; return the address."""
    address = (email or "").strip().lower()
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        deleted = session.execute(
            sa.delete(TicketCC).where(
                TicketCC.ticket_id == ticket.id, TicketCC.tenant_id == ticket.tenant_id, TicketCC.email == address
            )
        ).rowcount
        if not deleted:
            raise ServiceError(_("This address is not copied on the ticket."), field="email")
        record_event(ticket, actor, "cc_removed", old=address)
    return address
