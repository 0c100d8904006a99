"""Tags: per tenant, case-insensitive unique, attached to tickets; staff-only data."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..models import UTCDateTime, utcnow


class Tag(Base):
    """A label of a tenant; ``key`` (the case-folded name) is unique within the tenant."""

    __tablename__ = "tickets_tags"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "key", name="uq_tickets_tags_tenant_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    name: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self):
        return f"<Tag {self.name}>"


class TicketTag(Base):
    """One tag on one ticket."""

    __tablename__ = "tickets_ticket_tags"
    __table_args__ = (sa.Index("ix_tickets_ticket_tags_tag", "tenant_id", "tag_id", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tags.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
