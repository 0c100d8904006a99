"""A tenant's time settings and SLA targets: reading them with defaults, and saving them.

Defaults, for a team arriving from Zendesk: business hours Monday to Friday 09:00–17:00 in
UTC, no holidays, a warning 60 business minutes before a due time, **no SLA targets** until
an admin sets them (so no ticket is overdue against a promise nobody made), auto-close off.
"""

from typing import NamedTuple

import sqlalchemy as sa

from ..db import session
from ..models import Priority
from .clock import Calendar
from .models import DEFAULT_HOURS, SlaTarget, TimeSettings


def default_settings(tenant_id):
    """Return unsaved settings with every default filled in."""
    return TimeSettings(
        tenant_id=tenant_id,
        timezone="UTC",
        hours=dict(DEFAULT_HOURS),
        holidays=[],
        warn_before_minutes=60,
        autoclose_enabled=False,
        autoclose_reminder_days=5,
        autoclose_close_days=7,
    )


def time_settings(tenant_id):
    """Return the tenant's time settings (the defaults, unsaved, when none were saved)."""
    return session.get(TimeSettings, tenant_id) or default_settings(tenant_id)


def calendar_for(tenant_id):
    """Return the tenant's business-time :class:`~xobito_tickets.sla.clock.Calendar`."""
    settings = session.get(TimeSettings, tenant_id)
    return settings.calendar() if settings is not None else Calendar()


def sla_targets(tenant_id):
    """Return ``{Priority: (first_response_minutes, resolution_minutes)}`` for every priority."""
    rows = session.scalars(sa.select(SlaTarget).where(SlaTarget.tenant_id == tenant_id)).all()
    found = {row.priority: (row.first_response_minutes, row.resolution_minutes) for row in rows}
    return {priority: found.get(int(priority), (None, None)) for priority in Priority}


class Policy(NamedTuple):
    """What a ticket's due times are computed from: its tenant's calendar and its priority's targets."""

    calendar: Calendar
    first_response_minutes: int | None
    resolution_minutes: int | None
    warn_before_minutes: int


def policy_for(tenant_id, priority):
    """Return the :class:`Policy` of a ticket of ``priority`` in the tenant."""
    settings = time_settings(tenant_id)
    target = session.get(SlaTarget, (tenant_id, int(priority)))
    calendar = settings.calendar()
    if target is None or not calendar.works_at_all:
        # No working hours at all: business time never passes, nothing can fall due.
        return Policy(calendar, None, None, settings.warn_before_minutes)
    return Policy(calendar, target.first_response_minutes, target.resolution_minutes, settings.warn_before_minutes)
