"""Tables of service levels: a tenant's time settings, SLA targets, and the sent-markers of alerts."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..db import Base
from ..models import Tenant, UTCDateTime, utcnow
from .clock import Calendar

#: Stored form of the default week (Mon–Fri 09:00–17:00), as a team moving from Zendesk expects.
DEFAULT_HOURS = Calendar().hours_setting()


class TimeSettings(Base):
    """A tenant's business hours, warning lead time and auto-close rules (one row per tenant)."""

    __tablename__ = "tickets_time_settings"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), primary_key=True)
    #: IANA zone name of the business hours.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    #: ``{"mon": ["09:00-17:00"], …, "sun": []}``.
    hours: Mapped[dict] = mapped_column(sa.JSON, default=lambda: dict(DEFAULT_HOURS))
    #: ISO dates, ``["2026-12-25", …]``.
    holidays: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: SLA targets in business minutes per priority: ``{"4": [30, 240], …}`` (first response,
    #: resolution; null: no target). A priority that is missing has no targets.
    targets: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Business minutes before a due time at which the warning email goes out.
    warn_before_minutes: Mapped[int] = mapped_column(default=60)
    autoclose_enabled: Mapped[bool] = mapped_column(default=False)
    #: Days without a customer reply after which an Answered ticket gets a reminder.
    autoclose_reminder_days: Mapped[int] = mapped_column(default=5)
    #: Days without a customer reply after which an Answered ticket is closed.
    autoclose_close_days: Mapped[int] = mapped_column(default=7)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: Loaded with the tenant (one LEFT JOIN on the query every request already makes), so
    #: keeping due times on each change reads no extra row.
    tenant: Mapped[Tenant] = relationship(backref=backref("time_settings", lazy="joined", uselist=False), lazy="raise")

    def calendar(self):
        """Return the business-time :class:`~xobito_tickets.sla.clock.Calendar` of these settings."""
        return Calendar.from_settings(self.timezone, self.hours, self.holidays)

    def targets_of(self, priority):
        """Return ``(first_response_minutes, resolution_minutes)`` of ``priority`` (None: no target)."""
        first, resolution = (self.targets or {}).get(str(int(priority))) or (None, None)
        return first, resolution


class TimeAlert(Base):
    """A sent-marker: this ticket's alert of this kind (and key) was queued once, never again."""

    __tablename__ = "tickets_time_alerts"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "kind", "key", name="uq_tickets_time_alerts_ticket_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    #: first_response_warning, first_response_breach, resolution_warning, resolution_breach,
    #: autoclose_reminder
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: Empty for SLA alerts (once per ticket); the staff reply's time for an auto-close reminder.
    key: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
