"""A tenant's time settings and SLA targets: reading them with defaults, and saving them.

Defaults, for a team arriving from Zendesk: business hours Monday to Friday 09:00–17:00 in
UTC, no holidays, a warning 60 business minutes before a due time, **no SLA targets** until
an admin sets them (so no ticket is overdue against a promise nobody made), auto-close off.
"""

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


def calendar_and_targets(tenant_id, priority):
    """Return the tenant's calendar and ``(first_response, resolution)`` minutes of ``priority``."""
    target = session.get(SlaTarget, (tenant_id, int(priority)))
    targets = (target.first_response_minutes, target.resolution_minutes) if target is not None else (None, None)
    return calendar_for(tenant_id), targets
