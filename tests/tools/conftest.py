"""Fixtures of the workspace-tools suite: the staff suite's world and desk, a real SMTP server, small helpers."""

import io

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, Ticket, TicketEvent

from ..mail.conftest import smtp_server  # noqa: F401

# The staff suite's fixtures (a copy of a prepared SQLite file per test, or PostgreSQL), reused as they are.
from ..staff.conftest import app, desk, png_bytes, staff_templates, world  # noqa: F401, F811


def upload(name, data):
    """Return a (stream, name) pair for a multipart form field."""
    return (io.BytesIO(data), name)


def ticket_by_number(flask_app, number, tenant_id):
    """Return the ticket ``TKT-…`` of a tenant, detached."""
    with flask_app.app_context():
        ticket = session.scalar(
            sa.select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.number == int(number[4:]))
        )
        session.expunge(ticket)
        return ticket


def history_kinds(flask_app, ticket_id):
    """Return ``(kind, old, new)`` of a ticket's history, oldest first."""
    with flask_app.app_context():
        return [
            tuple(row)
            for row in session.execute(
                sa.select(TicketEvent.kind, TicketEvent.old_value, TicketEvent.new_value)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        ]


def outbox(flask_app):
    """Return ``(kind, recipient, payload)`` of every outbox row, oldest first."""
    with flask_app.app_context():
        return [
            (row.kind, row.recipient_email, row.payload)
            for row in session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id))
        ]
