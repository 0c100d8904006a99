"""Warning and breach emails: once each per ticket and clock, through the outbox.

A ticket is a candidate once its ``sla_warn_at`` has passed (the tenant's lead time, in business
minutes, before its next due time). Each alert is written in its own short transaction together
with a sent-marker row (:class:`~xobito_tickets.sla.models.TimeAlert`) whose unique key
(ticket, kind) makes a second insert fail: two workers racing for the same ticket send once,
and a pass run again finds nothing left to do.
"""

from functools import partial

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..claims import do_once
from ..db import session
from ..i18n.setup import lazy_gettext as _l
from ..jobs import job
from ..mail.outbox import add_to_outbox, in_language_of, language_of, outbox_row, ticket_url
from ..mail.recipients import staff_side
from ..models import Priority, Tenant, Ticket, TicketStatus, utcnow
from .models import TimeAlert
from .settings import time_settings

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
#: A due time set by hand: its alerts are its own (``manual_warning``, ``manual_breach``), and
#: their markers are removed when staff set another due time or clear it, so each one set by
#: hand is warned about once.
MANUAL = "manual"
MANUAL_KINDS = (f"{MANUAL}_warning", f"{MANUAL}_breach")
CLOCK_LABELS = {FIRST_RESPONSE: _l("first response"), RESOLUTION: _l("resolution"), MANUAL: _l("manual due time")}


def _clock_of(first_response_at, first_response_due_at, due_at, due_override_at=None):
    """Return which due time ``due_at`` is: one set by hand, the first response's while owed, else the resolution's."""
    if due_override_at is not None:
        return MANUAL
    return FIRST_RESPONSE if first_response_at is None and first_response_due_at == due_at else RESOLUTION


def _kind_expression(now):
    """The SQL of the alert kind a ticket is waiting for at ``now`` (``first_response_warning`` …)."""
    clock = sa.case(
        (Ticket.due_override_at.is_not(None), MANUAL),
        (sa.and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at == Ticket.due_at), FIRST_RESPONSE),
        else_=RESOLUTION,
    )
    stage = sa.case((Ticket.due_at <= now, "_breach"), else_="_warning")
    return sa.type_coerce(clock, sa.String) + sa.type_coerce(stage, sa.String)


def pending_alert_ids(now, limit=200):
    """Return the ids of tickets whose warning or breach email is due and not yet queued."""
    kind = _kind_expression(now)
    sent = sa.exists().where(TimeAlert.ticket_id == Ticket.id, TimeAlert.kind == kind, TimeAlert.key == "")
    return session.scalars(
        sa.select(Ticket.id)
        .where(
            Ticket.sla_warn_at <= now,
            Ticket.due_at.is_not(None),
            Ticket.status != TicketStatus.CLOSED.value,
            ~sent,
        )
        .order_by(Ticket.sla_warn_at, Ticket.id)
        .limit(limit)
    ).all()


def _queue_alert(ticket, clock, stage):
    """Add the outbox rows of one alert about ``ticket`` (to its assignee, else its department)."""
    settings = time_settings(ticket.tenant_id)
    tenant = session.get(Tenant, ticket.tenant_id)
    due_at = ticket.due_at

    def subject_for(person):
        with in_language_of(person):
            label = str(CLOCK_LABELS[clock])
            if stage == "breach":
                text = _("Overdue (%(clock)s): %(subject)s", clock=label, subject=ticket.subject)
            else:
                text = _("%(clock)s due soon: %(subject)s", clock=label[:1].upper() + label[1:], subject=ticket.subject)
        return f"[{ticket.display_number}] {text}"

    view = {
        "number": ticket.display_number,
        "subject": ticket.subject,
        "status": TicketStatus(ticket.status).label,
        "department": ticket.department.name,
        "priority": Priority(ticket.priority).label,
        "assignee": ticket.assignee.name if ticket.assignee is not None else None,
        "url": ticket_url(ticket, staff=True),
    }
    rows = [
        outbox_row(
            f"sla_{stage}",
            person,
            subject_for(person),
            {
                "audience": "staff",
                "tenant_name": tenant.name,
                "recipient_name": person.name,
                "ticket": view,
                "clock_key": clock,
                # Shown in the recipient's language and zone (else the business hours' zone).
                "due_at": due_at.isoformat(),
                **language_of(person, settings.timezone),
            },
            ticket=ticket,
        )
        for person in staff_side(ticket)
    ]
    return add_to_outbox(rows)


def send_alert(ticket_id, now):
    """Queue the warning or breach email ``ticket_id`` waits for, once; return whether this call did."""
    return do_once(_due_alert, ticket_id, now)


def _due_alert(ticket_id, now):
    """Return the markers and the queueing of the alert ``ticket_id`` waits for, or None (for :func:`do_once`)."""
    ticket = session.scalars(
        sa.select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    ).one_or_none()
    if ticket is None or ticket.is_closed or ticket.due_at is None or ticket.sla_warn_at > now:
        return None
    clock = _clock_of(ticket.first_response_at, ticket.first_response_due_at, ticket.due_at, ticket.due_override_at)
    stage = "breach" if ticket.due_at <= now else "warning"
    kinds = [f"{clock}_{stage}"]
    if stage == "breach":
        # A breach found without its warning (worker down, a shorter target): the warning
        # would come too late, so its marker is written without an email.
        kinds.append(f"{clock}_warning")
    existing = set(
        session.scalars(sa.select(TimeAlert.kind).where(TimeAlert.ticket_id == ticket.id, TimeAlert.kind.in_(kinds)))
    )
    if kinds[0] in existing:
        return None
    markers = [
        TimeAlert(tenant_id=ticket.tenant_id, ticket_id=ticket.id, kind=kind, key="")
        for kind in kinds
        if kind not in existing
    ]
    return markers, partial(_queue_alert, ticket, clock, stage)


@job("sla-alerts")
def send_sla_alerts(app=None, now=None):
    """Queue every due warning and breach email once; return how many tickets were alerted."""
    now = now or utcnow()
    handled = 0
    for ticket_id in pending_alert_ids(now):
        if send_alert(ticket_id, now):
            handled += 1
    session.rollback()
    current_app.logger.debug("sla alerts: %d tickets", handled)
    return handled
