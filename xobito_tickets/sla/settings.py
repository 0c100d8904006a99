"""A tenant's time settings and SLA targets: reading them with defaults, and saving them.

Defaults, for a team arriving from Zendesk: business hours Monday to Friday 09:00–17:00 in
UTC, no holidays, a warning 60 business minutes before a due time, **no SLA targets** until
an admin sets them (so no ticket is overdue against a promise nobody made), auto-close off.
"""

from typing import NamedTuple

import sqlalchemy as sa

from ..db import begin_write, session
from ..models import Priority, Tenant, Ticket, TicketStatus
from .clock import Calendar
from .dues import refresh_dues
from .models import DEFAULT_HOURS, TimeSettings


def default_settings(tenant_id):
    """Return unsaved settings with every default filled in."""
    return TimeSettings(
        tenant_id=tenant_id,
        timezone="UTC",
        hours=dict(DEFAULT_HOURS),
        holidays=[],
        targets={},
        warn_before_minutes=60,
        autoclose_enabled=False,
        autoclose_reminder_days=5,
        autoclose_close_days=7,
    )


def _saved_settings(tenant_id):
    # The tenant of a request is in the session already, its settings joined to it.
    tenant = session.get(Tenant, tenant_id)
    return tenant.time_settings if tenant is not None else None


def time_settings(tenant_id):
    """Return the tenant's time settings (the defaults, unsaved, when none were saved)."""
    return _saved_settings(tenant_id) or default_settings(tenant_id)


def calendar_for(tenant_id):
    """Return the tenant's business-time :class:`~xobito_tickets.sla.clock.Calendar`."""
    settings = _saved_settings(tenant_id)
    return settings.calendar() if settings is not None else Calendar()


def sla_targets(tenant_id):
    """Return ``{Priority: (first_response_minutes, resolution_minutes)}`` for every priority."""
    settings = time_settings(tenant_id)
    return {priority: settings.targets_of(priority) for priority in Priority}


class Policy(NamedTuple):
    """What a ticket's due times are computed from: its tenant's calendar and its priority's targets."""

    calendar: Calendar
    first_response_minutes: int | None
    resolution_minutes: int | None
    warn_before_minutes: int


def policy_for(tenant_id, priority):
    """Return the :class:`Policy` of a ticket of ``priority`` in the tenant."""
    settings = time_settings(tenant_id)
    calendar = settings.calendar()
    first, resolution = settings.targets_of(priority)
    if not calendar.works_at_all:
        # No working hours at all: business time never passes, nothing can fall due.
        first = resolution = None
    return Policy(calendar, first, resolution, settings.warn_before_minutes)


def _refresh_open_tickets(tenant_id):
    """Recompute the due times of the tenant's unclosed tickets under new settings, in this transaction."""
    last_id = 0
    while True:
        tickets = session.scalars(
            sa.select(Ticket)
            .where(Ticket.tenant_id == tenant_id, Ticket.status != TicketStatus.CLOSED.value, Ticket.id > last_id)
            .order_by(Ticket.id)
            .limit(500)
        ).all()
        if not tickets:
            return
        policies = {}
        for ticket in tickets:
            if ticket.priority not in policies:
                policies[ticket.priority] = policy_for(tenant_id, ticket.priority)
            refresh_dues_with(ticket, policies[ticket.priority])
        session.flush()
        last_id = tickets[-1].id


def refresh_dues_with(ticket, policy):
    """Recompute the due times of ``ticket`` under ``policy``."""
    refresh_dues(
        ticket, policy.calendar, policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes
    )


def _locked_settings(tenant_id):
    """Return the tenant's settings row, locked for this transaction; a new row (added) if it has none."""
    settings = session.get(TimeSettings, tenant_id, with_for_update=True)
    if settings is None:
        settings = default_settings(tenant_id)
        # Through the relationship, so the tenant in this session sees its new settings.
        settings.tenant = session.get(Tenant, tenant_id)
        session.add(settings)
    return settings


def save_sla_settings(tenant_id, timezone, weekly, holidays, warn_before_minutes, targets):
    """Store business hours, holidays, lead time and ``{Priority: (frt, res)}``; recompute open tickets' dues."""
    begin_write()
    try:
        settings = _locked_settings(tenant_id)
        calendar = Calendar(timezone=timezone, weekly=weekly, holidays=frozenset(holidays))
        settings.timezone = calendar.timezone
        settings.hours = calendar.hours_setting()
        settings.holidays = sorted(day.isoformat() for day in calendar.holidays)
        settings.warn_before_minutes = warn_before_minutes
        settings.targets = {
            str(int(priority)): [first, resolution]
            for priority, (first, resolution) in targets.items()
            if (first, resolution) != (None, None)
        }
        session.flush()
        _refresh_open_tickets(tenant_id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return settings


def save_autoclose_settings(tenant_id, enabled, reminder_days, close_days):
    """Store the auto-close settings of a tenant."""
    begin_write()
    try:
        settings = _locked_settings(tenant_id)
        settings.autoclose_enabled = bool(enabled)
        settings.autoclose_reminder_days = reminder_days
        settings.autoclose_close_days = close_days
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return settings
