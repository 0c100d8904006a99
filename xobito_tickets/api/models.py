"""API tokens, and the answers kept for ``Idempotency-Key``."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..models import User, UTCDateTime, utcnow


class ApiToken(Base):
    """A bearer token of one person: it acts with that person's role and visibility.

    Only the SHA-256 of the token is stored (a token is 256 random bits, so a fast hash is
    enough); ``prefix`` is its first characters, shown so a person can tell tokens apart.
    """

    __tablename__ = "tickets_api_tokens"
    __table_args__ = (sa.Index("ix_tickets_api_tokens_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The rate limit's current window: when it started and how many requests it counted.
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_count: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship()

    @property
    def active(self):
        return self.revoked_at is None


class ApiIdempotencyKey(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed for a repeat."""

    __tablename__ = "tickets_api_idempotency"
    __table_args__ = (
        sa.UniqueConstraint("token_id", "key", name="uq_tickets_api_idempotency_token_key"),
        sa.Index("ix_tickets_api_idempotency_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    #: Method and path of the first request, and a hash of its body: a repeat must match them.
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    #: None while the first request is still running.
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
