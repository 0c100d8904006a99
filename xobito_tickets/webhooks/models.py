"""Webhook endpoints of a tenant and the deliveries written for them."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..api.schemas import WEBHOOK_EVENTS
from ..db import Base
from ..models import UTCDateTime, utcnow

#: Every event an endpoint can subscribe to (defined with the API's shapes, which describe them).
EVENTS = WEBHOOK_EVENTS


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def label(self):
        return self.value.capitalize()


class WebhookEndpoint(Base):
    """A URL of a tenant that receives the events it subscribed to, signed with its secret."""

    __tablename__ = "tickets_webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Kept in clear: every delivery is signed with it (a hash could not sign).
    secret: Mapped[str] = mapped_column(sa.String(100))
    #: The subscribed event names; empty: every event, including ones added later.
    events: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    #: Why the endpoint was switched off ("failing for 24 hours"), None while active or paused by hand.
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(255))
    #: The first failed attempt since the last success; None while deliveries succeed.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def wants(self, event):
        """Return True if this endpoint subscribed to ``event``."""
        return not self.events or event in self.events


class WebhookDelivery(Base):
    """One event for one endpoint: the exact body that is signed and sent, and how it went."""

    __tablename__ = "tickets_webhook_deliveries"
    __table_args__ = (
        # The worker: due pending deliveries, oldest first.
        sa.Index("ix_tickets_webhook_deliveries_due", "status", "next_attempt_at", "id"),
        # The delivery log of an endpoint, newest first.
        sa.Index("ix_tickets_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_webhook_endpoints.id", ondelete="CASCADE"))
    #: This delivery, in the log (a redelivery gets a new one).
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    #: The payload's ``id`` and ``X-Xobito-Delivery``: the event (the same in a redelivery, so receivers
    #: can drop repeats).
    event_id: Mapped[str] = mapped_column(sa.String(36))
    event: Mapped[str] = mapped_column(sa.String(40))
    ticket_number: Mapped[int | None] = mapped_column()
    #: The JSON sent, byte for byte as signed.
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column()
    response_excerpt: Mapped[str | None] = mapped_column(sa.Text)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    duration_ms: Mapped[int | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()
