"""The per-recipient Reply-To of notification emails, and the record of the Message-IDs sent for tickets."""

import sqlalchemy as sa
from flask import current_app

from ..db import session
from ..models import Tenant
from .addresses import token_address
from .models import SentMessageId
from .tokens import make_reply_token


def reply_address(ticket, email):
    """Return ``{subdomain}+t.{token}@{domain}`` for ``email`` on ``ticket``, or None without an inbound domain."""
    domain = current_app.config.get("TICKETS_INBOUND_DOMAIN")
    if not domain or ticket is None or not email:
        return None
    slug = session.get(Tenant, ticket.tenant_id).slug
    token = make_reply_token(current_app.config["SECRET_KEY"], ticket.tenant_id, ticket.id, email)
    return token_address(slug, token, domain)


def record_sent_ids(rows):
    """Record the Message-IDs of outbox rows (dicts) that belong to a ticket, in the current transaction."""
    records = [
        dict(
            message_id=row["message_id"],
            tenant_id=row["tenant_id"],
            ticket_id=row["ticket_id"],
            recipient_email=row["recipient_email"],
        )
        for row in rows
        if row.get("ticket_id") and row.get("tenant_id")
    ]
    if records:
        session.execute(sa.insert(SentMessageId), records)
    return len(records)
