"""The per-recipient Reply-To of notification emails, and the record of the Message-IDs sent for tickets.

Both happen in the receiver of ``signals.emails_queued``, inside the transaction that
queues the emails: mail knows nothing of inbound email.
"""

import sqlalchemy as sa
from flask import current_app

from .. import signals
from ..db import session
from ..models import Tenant
from .addresses import token_address
from .models import SentMessageId
from .tokens import make_reply_token


def reply_address(tenant_id, ticket_id, email):
    """Return ``{subdomain}+t.{token}@{domain}`` for ``email`` on a ticket, or None without an inbound domain."""
    domain = current_app.config.get("TICKETS_INBOUND_DOMAIN")
    if not domain or not ticket_id or not email:
        return None
    slug = session.get(Tenant, tenant_id).slug
    token = make_reply_token(current_app.config["SECRET_KEY"], tenant_id, ticket_id, email)
    return token_address(slug, token, domain)


def on_emails_queued(sender, rows, **extra):
    """Give each ticket email its recipient's Reply-To and record its Message-ID for matching answers."""
    records = []
    for row in rows:
        if not row.get("ticket_id") or not row.get("tenant_id"):
            continue
        address = reply_address(row["tenant_id"], row["ticket_id"], row["recipient_email"])
        if address:
            row["payload"] = {**(row.get("payload") or {}), "reply_to": address}
        records.append(
            dict(
                message_id=row["message_id"],
                tenant_id=row["tenant_id"],
                ticket_id=row["ticket_id"],
                recipient_email=row["recipient_email"],
            )
        )
    if records:
        session.execute(sa.insert(SentMessageId.__table__), records)


def connect_receivers():
    """Connect the outbox receiver."""
    signals.emails_queued.connect(on_emails_queued)
