"""A ticket opened by staff for a customer, with the customer's account made if it is new, in one transaction."""

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..mail.outbox import is_deliverable_address
from ..models import Priority, Role, User
from ..tickets.services import add_ticket
from ..tickets.transaction import Transaction, record_event


def normalize_customer_email(text):
    """Return ``text`` as a lower-cased plain address, or raise :class:`ServiceError` on ``customer``."""
    text = text or ""
    if "\r" in text or "\n" in text:
        raise ServiceError(_("Line breaks are not allowed in an email address."), field="customer")
    address = text.strip().lower()
    if not address:
        raise ServiceError(_("Enter the customer's email address."), field="customer")
    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ServiceError(_("Enter a valid email address."), field="customer") from None
    if not is_deliverable_address(address):
        raise ServiceError(_("Enter a plain address such as name@example.com."), field="customer")
    return address


def _customer(tenant, address, name):
    """Return the customer with ``address``, adding a new account (no password) if there is none."""
    person = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == address))
    if person is None:
        name = (name or "").strip() or address.split("@", 1)[0]
        person = User(tenant_id=tenant.id, email=address, name=name[:200], role=Role.CUSTOMER.value)
        session.add(person)
        session.flush()
        return person, True
    if person.is_staff:
        raise ServiceError(_("This address belongs to a member of the team, not a customer."), field="customer")
    if not person.active:
        raise ServiceError(_("This customer's account is deactivated."), field="customer")
    return person, False


def open_ticket_on_behalf(
    tenant, actor, customer_email, department, subject, body, priority=Priority.MEDIUM, files=(), customer_name=None
):
    """Open a ticket for the customer ``customer_email`` as ``actor`` (staff); return the ticket.

    The customer gets the usual receipt (``ticket_created`` is sent with ``actor``, so
    the staff notices skip the actor). The history says who opened it for whom.
    """
    if not actor.is_staff or actor.tenant_id != tenant.id:
        raise ServiceError(_("Only staff can open a ticket for a customer."), field="customer")
    address = normalize_customer_email(customer_email)
    if department is None or department.tenant_id != tenant.id or not department.active:
        raise ServiceError(_("Choose one of the listed departments."), field="department")
    with Transaction() as tx:
        customer, _created = _customer(tenant, address, customer_name)
        ticket = add_ticket(tx, tenant, customer, department, subject, body, priority, files, actor=actor)
        record_event(ticket, actor, "on_behalf", new=f"{customer.name} <{customer.email}>")
    return ticket
