"""Tables of the standalone login's second factor."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..models import UTCDateTime, utcnow


class RecoveryCode(Base):
    """One single-use recovery code of a person's two-factor login, stored hashed."""

    __tablename__ = "tickets_recovery_codes"
    __table_args__ = (sa.Index("ix_tickets_recovery_codes_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
