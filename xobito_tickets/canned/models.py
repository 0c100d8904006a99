"""The canned-reply table."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..models import Department, User, UTCDateTime, utcnow


class CannedReply(Base):
    """A prepared answer: shared (everyone, or one department's tickets) or personal (its owner only)."""

    __tablename__ = "tickets_canned_replies"
    __table_args__ = (sa.Index("ix_tickets_canned_replies_tenant_title", "tenant_id", "title", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id", ondelete="CASCADE"), index=True)
    #: None: offered on every ticket; else only on that department's tickets.
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets_departments.id", ondelete="CASCADE"), index=True
    )
    personal: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()

    def __repr__(self):
        return f"<CannedReply {self.title!r}>"
