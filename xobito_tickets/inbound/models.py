"""Tables of inbound email: per-tenant settings, the inbound log, and the Message-IDs we sent."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..i18n.setup import lazy_gettext as _l
from ..models import Department, Ticket, UTCDateTime, utcnow


class InboundOutcome:
    """What became of one inbound message (the inbound log's outcome column)."""

    NEW_TICKET = "new_ticket"
    REPLY = "reply"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"
    DISCARDED = "discarded"

    LABELS = {
        NEW_TICKET: _l("New ticket"),
        REPLY: _l("Reply"),
        IGNORED: _l("Ignored"),
        QUARANTINED: _l("Quarantined"),
        DISCARDED: _l("Discarded"),
    }


class InboundSettings(Base):
    """A tenant's inbound-email settings: its token's salt, its IMAP mailbox, its default department.

    The inbound token itself is not stored: it is an HMAC of the app's SECRET_KEY over
    the tenant and ``token_salt``, so it can be printed again, a copy of the database
    alone does not reveal it, and rotating it is a new salt.
    """

    __tablename__ = "tickets_inbound_settings"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), primary_key=True)
    token_salt: Mapped[str | None] = mapped_column(sa.String(64))
    default_department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets_departments.id", ondelete="SET NULL")
    )
    imap_host: Mapped[str] = mapped_column(sa.String(255), default="")
    imap_port: Mapped[int] = mapped_column(default=993)
    imap_user: Mapped[str] = mapped_column(sa.String(255), default="")
    imap_password: Mapped[str] = mapped_column(sa.String(255), default="")
    imap_folder: Mapped[str] = mapped_column(sa.String(255), default="INBOX")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    default_department: Mapped[Department | None] = relationship()

    @property
    def imap_configured(self):
        """True when the mailbox has a host, a user and a password."""
        return bool(self.imap_host and self.imap_user and self.imap_password)


class InboundMessage(Base):
    """One received message and what became of it; the raw bytes are kept in storage."""

    __tablename__ = "tickets_inbound_messages"
    __table_args__ = (
        # "Once": the same Message-ID from the same sender to the same tenant is handled once.
        sa.UniqueConstraint("tenant_id", "sender", "message_id", name="uq_tickets_inbound_messages_once"),
        sa.Index("ix_tickets_inbound_messages_log", "tenant_id", "received_at", "id"),
        sa.Index("ix_tickets_inbound_messages_ticket", "ticket_id", "id"),
        sa.Index("ix_tickets_inbound_messages_new", "tenant_id", "sender", "outcome", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: stdin, imap, http, demo
    source: Mapped[str] = mapped_column(sa.String(16))
    sender: Mapped[str] = mapped_column(sa.String(254), default="")
    sender_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    #: None when the message had none (NULLs never collide in the unique constraint).
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.String(255), default="")
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    #: The closed ticket a follow-up was opened for.
    follow_up_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    raw_key: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    ticket: Mapped[Ticket | None] = relationship(foreign_keys=[ticket_id])
    follow_up_of: Mapped[Ticket | None] = relationship(foreign_keys=[follow_up_of_id])

    @property
    def outcome_label(self):
        return InboundOutcome.LABELS.get(self.outcome, self.outcome)


class SentMessageId(Base):
    """The Message-ID of one notification sent for a ticket, for matching answers (In-Reply-To)."""

    __tablename__ = "tickets_sent_message_ids"

    message_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
