"""The satisfaction rating of a ticket: one per ticket, changed by a later answer."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..i18n.setup import lazy_gettext as _l
from ..models import UTCDateTime, utcnow


class RatingChoice(enum.StrEnum):
    GOOD = "good"
    BAD = "bad"

    @property
    def label(self):
        return self.value.capitalize()

    @property
    def shown_label(self):
        """Return the choice's name in the reader's language ("Gut")."""
        return str(SHOWN_LABELS[self])


#: The choices' names as shown; ``label`` stays English for the history and exports.
SHOWN_LABELS = {RatingChoice.GOOD: _l("Good"), RatingChoice.BAD: _l("Bad")}


#: The longest comment kept with a rating (characters, counted as replies are).
COMMENT_MAX = 2000


class Rating(Base):
    """The requester's answer to "How did we do?" for one ticket."""

    __tablename__ = "tickets_ratings"
    __table_args__ = (sa.UniqueConstraint("ticket_id", name="uq_tickets_ratings_ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    #: good or bad (:class:`RatingChoice`)
    rating: Mapped[str] = mapped_column(sa.String(8))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def choice(self):
        return RatingChoice(self.rating)
