"""Writing notification emails to the outbox, inside the transaction of the change.

Nothing here talks to a mail server: a row is added to the session of the running
service, so it is committed with the change or rolled back with it. The worker
(:mod:`.worker`) delivers committed rows later.
"""

import re
import unicodedata
import uuid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from .. import signals
from ..db import session
from ..models import OutboxEmail, OutboxStatus, Tenant, utcnow

_HOST_RE = re.compile(r"^[A-Za-z0-9.-]+$")
_ADDRESS_RE = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")


def header_text(value, limit=200):
    """Return ``value`` fit for a mail header: one line, no control characters, at most ``limit`` characters.

    CR, LF and every other line or paragraph separator become a space, so a value
    typed by a user can never start a header of its own.
    """
    kept = []
    for char in str(value or ""):
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp", "Zs"):
            kept.append(" ")
        elif category in ("Cf", "Cs", "Co", "Cn"):
            # Invisible formatting (bidi overrides, zero-width joiners) would let a
            # subject pretend to say something else.
            continue
        else:
            kept.append(char)
    text = " ".join("".join(kept).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def is_deliverable_address(address):
    """Return True if ``address`` is one plain ``local@domain`` with nothing that could bend a header."""
    return bool(address) and len(address) <= 254 and bool(_ADDRESS_RE.match(address))


def mail_domain():
    """Return the host name of TICKETS_BASE_URL, used on the right of every Message-ID."""
    host = urlsplit(current_app.config.get("TICKETS_BASE_URL") or "").hostname or ""
    return host if host and _HOST_RE.match(host) else "localhost"


def new_message_id():
    """Return a fresh, globally unique ``Message-ID`` value."""
    return f"<{uuid.uuid4().hex}@{mail_domain()}>"


def thread_root_id(ticket):
    """Return the Message-ID every email of ``ticket`` points at (In-Reply-To, References)."""
    return f"<ticket-{ticket.tenant_id}-{ticket.number}@{mail_domain()}>"


def external_url(endpoint, **values):
    """Build an absolute URL from TICKETS_BASE_URL, never from the request's Host header.

    Works without a request (CLI, worker) and in every tenancy mode: the tenant slug
    is used only where the route expects it (path or subdomain).
    """
    app = current_app
    base = urlsplit((app.config.get("TICKETS_BASE_URL") or "http://localhost:5000").rstrip("/"))
    if "tenant" in values and not app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        values.pop("tenant")
    adapter = app.url_map.bind(
        base.netloc or "localhost",
        script_name=base.path or "/",
        url_scheme=base.scheme or "http",
    )
    return adapter.build(endpoint, values, force_external=True)


def ticket_url(ticket, staff):
    """Return the link to ``ticket`` for a customer, or for staff (the staff view when it exists)."""
    endpoint = "tickets.portal.ticket_detail"
    if staff and "tickets.admin.ticket_detail" in current_app.view_functions:
        endpoint = "tickets.admin.ticket_detail"
    return external_url(endpoint, tenant=ticket_tenant_slug(ticket), ticket=ticket.display_number)


def ticket_tenant_slug(ticket):
    """Return the slug of the ticket's tenant."""
    return session.get(Tenant, ticket.tenant_id).slug


def in_language_of(recipient):
    """Return a context in which texts (an email's subject) are written in ``recipient``'s language."""
    language = getattr(recipient, "language", None) or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    return force_locale(language)


def language_of(recipient, zone=None):
    """Return the payload keys the worker renders ``recipient``'s email in: their language and time zone.

    ``zone`` is the zone for someone who chose none (a workspace's business hours), else UTC.
    """
    return {"locale": getattr(recipient, "language", None), "timezone": getattr(recipient, "timezone", None) or zone}


def outbox_row(kind, recipient, subject, payload, ticket=None, tenant_id=None):
    """Return the outbox row (a dict of columns) of one email for ``recipient`` (a User).

    Returns None if the recipient's address cannot be used in a header (it is then
    logged and skipped rather than failing the change).
    """
    if not is_deliverable_address(recipient.email):
        current_app.logger.warning("not emailing user %s: unusable address", recipient.id)
        return None
    return dict(
        tenant_id=tenant_id if tenant_id is not None else (ticket.tenant_id if ticket is not None else None),
        ticket_id=ticket.id if ticket is not None else None,
        kind=kind,
        recipient_email=recipient.email,
        recipient_name=header_text(recipient.name, 200),
        subject=header_text(subject, 500),
        payload=payload,
        message_id=new_message_id(),
        thread_id=thread_root_id(ticket) if ticket is not None else None,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=utcnow(),
    )


def add_to_outbox(rows):
    """Insert outbox rows (from :func:`outbox_row`) in the current transaction, in one statement."""
    rows = [row for row in rows if row is not None]
    if rows:
        # The rows they refer to are written first (as an ORM INSERT's autoflush would);
        # the INSERTs themselves go to the tables, without the ORM's bulk machinery.
        session.flush()
        signals.emails_queued.send(current_app._get_current_object(), rows=rows)
        session.execute(sa.insert(OutboxEmail.__table__), rows)
    return len(rows)


def queue_email(kind, recipient, subject, payload, ticket=None, tenant_id=None):
    """Add one email for ``recipient`` (a User) to the outbox, in the current transaction.

    Returns True, or False if the recipient's address cannot be used (see :func:`outbox_row`).
    """
    return add_to_outbox([outbox_row(kind, recipient, subject, payload, ticket=ticket, tenant_id=tenant_id)]) == 1
