"""The table of a ticket's CC addresses."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..models import UTCDateTime, utcnow


class TicketCC(Base):
    """One address copied on a ticket's customer-facing emails (stored lower-cased)."""

    __tablename__ = "tickets_ccs"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "email", name="uq_tickets_ccs_ticket_email"),
        # Inbound mail asks "is this sender copied on that ticket?" within a tenant.
        sa.Index("ix_tickets_ccs_tenant_email", "tenant_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
