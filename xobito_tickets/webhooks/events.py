"""Turn the services' signals into webhook deliveries, inside the change's transaction.

A receiver runs after the change is flushed and before it commits (see
:mod:`xobito_tickets.signals`): the delivery rows it adds are committed with the change or
rolled back with it, so an event is never sent for a change that did not happen, and never
lost for one that did. The worker (:mod:`.worker`) sends them later.
"""

import json
import uuid

import sqlalchemy as sa

from .. import signals
from ..api import present
from ..api.schemas import MessageSchema, StaffTicketSchema
from ..db import session
from ..models import Attachment, Tenant, utcnow
from ..tickets.transaction import check_tenant_in_transaction, tenant_check
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

_ENDPOINTS = sa.select(WebhookEndpoint).where(
    WebhookEndpoint.tenant_id == sa.bindparam("tenant_id"), WebhookEndpoint.active.is_(True)
)

#: The write transaction's check (read with the statement that starts it): does the
#: tenant have an active endpoint at all? Most have none, and then no change queries them.
HAS_ENDPOINTS = "webhook_endpoints"


def _has_active_endpoint(tenant_id):
    return sa.exists().where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.active.is_(True))


def _subscribers(tenant_id, event):
    known = tenant_check(HAS_ENDPOINTS, tenant_id)
    if known is not None and not known:
        return []
    return [e for e in session.scalars(_ENDPOINTS, {"tenant_id": tenant_id}) if e.wants(event)]


def record_event(event, ticket, message=None, message_kind="reply"):
    """Add one delivery of ``event`` about ``ticket`` per subscribed endpoint; return how many."""
    endpoints = _subscribers(ticket.tenant_id, event)
    if not endpoints:
        return 0
    slug = session.get(Tenant, ticket.tenant_id).slug
    ticket_data = StaffTicketSchema().dump(present.ticket(ticket, slug, staff=True))
    message_data = None
    if message is not None:
        files = session.scalars(
            sa.select(Attachment).where(Attachment.reply_id == message.id).order_by(Attachment.id)
        ).all()
        message_data = MessageSchema().dump(present.message(message, slug, ticket.number, files, kind=message_kind))
    now = utcnow()
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "id": event_id,
            "type": event,
            "created_at": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "tenant": slug,
            "data": {"ticket": ticket_data, "message": message_data},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    rows = [
        dict(
            tenant_id=ticket.tenant_id,
            endpoint_id=endpoint.id,
            uid=str(uuid.uuid4()),
            event_id=event_id,
            event=event,
            ticket_number=ticket.number,
            body=body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    ]
    session.flush()
    session.execute(sa.insert(WebhookDelivery.__table__), rows)
    return len(rows)


def _on_created(app, ticket, **extra):
    record_event("ticket.created", ticket)


def _on_reply(app, ticket, reply, **extra):
    record_event("ticket.replied", ticket, reply)


def _on_note(app, ticket, note, **extra):
    record_event("ticket.note_added", ticket, note, message_kind="note")


def _on_merged(app, ticket, target=None, **extra):
    # The merged ticket, as it is now (Closed, merged into the target); the target has its own page.
    record_event("ticket.merged", ticket)


def _on_closed(app, ticket, **extra):
    record_event("ticket.closed", ticket)


def _on_reopened(app, ticket, **extra):
    record_event("ticket.reopened", ticket)


def _on_assigned(app, ticket, **extra):
    record_event("ticket.assigned", ticket)


def _on_priority(app, ticket, **extra):
    record_event("ticket.priority_changed", ticket)


_connected = False


def connect_receivers():
    """Subscribe the webhooks to the services' signals, once per process (any app sends them)."""
    global _connected
    if _connected:
        return
    check_tenant_in_transaction(HAS_ENDPOINTS, _has_active_endpoint)
    for signal, receiver in (
        (signals.ticket_created, _on_created),
        (signals.reply_posted, _on_reply),
        (signals.ticket_closed, _on_closed),
        (signals.ticket_reopened, _on_reopened),
        (signals.ticket_assigned, _on_assigned),
        (signals.priority_changed, _on_priority),
        (signals.note_added, _on_note),
        (signals.ticket_merged, _on_merged),
    ):
        signal.connect(receiver)
    _connected = True
