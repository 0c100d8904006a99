"""Auto-close: remind a customer who has not answered, then close the ticket (SPEC §16).

Only tickets waiting on the customer are concerned: Answered, with the SLA clock paused, which
is exactly "the last public message is staff's" (a customer's reply runs the clock again).
After ``autoclose_reminder_days`` without a customer reply the customer gets one reminder (a
sent-marker keyed by the staff reply's time, so a later exchange earns a new reminder); after
``autoclose_close_days`` — and never sooner than the days between the two settings after the
reminder went out, so nobody is closed without warning — the ticket is Closed by nobody, with
"closed automatically" in its history and the usual closed email.
"""

from datetime import timedelta
from functools import partial
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..claims import do_once
from ..db import session
from ..jobs import job
from ..mail.outbox import add_to_outbox, in_language_of, language_of, outbox_row, ticket_url
from ..mail.recipients import customer_side
from ..models import Tenant, Ticket, TicketStatus, utcnow
from ..tickets.services import close_automatically
from .models import TimeAlert, TimeSettings

REMINDER = "autoclose_reminder"


def waiting_on_customer():
    """The SQL condition of a ticket waiting on its customer (Answered, clock paused)."""
    return sa.and_(Ticket.status == TicketStatus.ANSWERED.value, Ticket.sla_clock_started_at.is_(None))


def reminder_key(ticket):
    """Return the sent-marker key of the reminder about the staff reply the ticket waits on."""
    return ticket.last_reply_at.isoformat()


def _queue_reminder(ticket, settings, close_at):
    tenant = session.get(Tenant, ticket.tenant_id)
    view = {
        "number": ticket.display_number,
        "subject": ticket.subject,
        "status": TicketStatus(ticket.status).label,
        "department": ticket.department.name,
        "url": ticket_url(ticket, staff=False),
    }
    rows = []
    for person in customer_side(ticket):
        with in_language_of(person):
            subject = _("Waiting for your reply: %(subject)s", subject=ticket.subject)
        payload = {
            "audience": "customer",
            "tenant_name": tenant.name,
            "recipient_name": person.name,
            "ticket": view,
            # The day, in the customer's language and zone (else the business hours' zone).
            "close_on": close_at.isoformat(),
            "days": settings.autoclose_reminder_days,
            **language_of(person, settings.timezone),
        }
        rows.append(outbox_row(REMINDER, person, f"[{ticket.display_number}] {subject}", payload, ticket=ticket))
    add_to_outbox(rows)


def remind(ticket_id, settings, now):
    """Queue the reminder about ``ticket_id`` once; return whether this call did."""
    return do_once(_due_reminder, ticket_id, settings, now)


def _due_reminder(ticket_id, settings, now):
    """Return the marker and the queueing of the reminder ``ticket_id`` is due, or None (for :func:`do_once`)."""
    ticket = session.scalars(
        sa.select(Ticket).where(Ticket.id == ticket_id, waiting_on_customer()).execution_options(populate_existing=True)
    ).one_or_none()
    if ticket is None or ticket.last_reply_at > now - timedelta(days=settings.autoclose_reminder_days):
        return None
    marker = TimeAlert(tenant_id=ticket.tenant_id, ticket_id=ticket.id, kind=REMINDER, key=reminder_key(ticket))
    close_at = max(
        ticket.last_reply_at + timedelta(days=settings.autoclose_close_days),
        now + timedelta(days=settings.autoclose_close_days - settings.autoclose_reminder_days),
    )
    return [marker], partial(_queue_reminder, ticket, settings, close_at)


def _tenant_pass(settings, now):
    reminded = closed = 0
    remind_before = now - timedelta(days=settings.autoclose_reminder_days)
    close_before = now - timedelta(days=settings.autoclose_close_days)
    grace = timedelta(days=settings.autoclose_close_days - settings.autoclose_reminder_days)
    waiting = session.execute(
        sa.select(Ticket.id, Ticket.last_reply_at)
        .where(Ticket.tenant_id == settings.tenant_id, waiting_on_customer(), Ticket.last_reply_at <= remind_before)
        .order_by(Ticket.last_reply_at, Ticket.id)
    ).all()
    reminders = {}
    for chunk in range(0, len(waiting), 500):
        ids = [ticket_id for ticket_id, _ in waiting[chunk : chunk + 500]]
        for ticket_id, key, created_at in session.execute(
            sa.select(TimeAlert.ticket_id, TimeAlert.key, TimeAlert.created_at).where(
                TimeAlert.ticket_id.in_(ids), TimeAlert.kind == REMINDER
            )
        ):
            reminders[(ticket_id, key)] = created_at
    session.rollback()
    for ticket_id, last_reply_at in waiting:
        reminded_at = reminders.get((ticket_id, last_reply_at.isoformat()))
        if reminded_at is None:
            reminded += remind(ticket_id, settings, now)
        elif last_reply_at <= close_before and reminded_at <= now - grace:
            if close_automatically(ticket_id, waiting_since=last_reply_at) is not None:
                closed += 1
    return reminded, closed


@job("auto-close")
def run_autoclose(app=None, now=None):
    """Send due reminders and close due tickets in every tenant that turned auto-close on; return how many."""
    now = now or utcnow()
    handled = 0
    tenants = session.scalars(sa.select(TimeSettings).where(TimeSettings.autoclose_enabled.is_(True))).all()
    # Plain copies: the rows expire at every commit of the pass.
    columns = [column.key for column in TimeSettings.__table__.columns]
    tenants = [SimpleNamespace(**{key: getattr(row, key) for key in columns}) for row in tenants]
    session.rollback()
    for settings in tenants:
        reminded, closed = _tenant_pass(settings, now)
        handled += reminded + closed
    current_app.logger.debug("auto-close: %d tickets", handled)
    return handled
