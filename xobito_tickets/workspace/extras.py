"""The staff ticket view's short side lists, read in one statement: tags, the rating, the emails received.

Each list was a query of its own (three of the page's statements); the page has a budget of 8
whatever the ticket holds, so they share one UNION ALL. Inbound mail and satisfaction keep their
Jinja globals (``tickets_inbound_emails``, ``tickets_rating_of``) for other pages; on this page
their templates read the values loaded here.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..db import session
from ..inbound.models import InboundMessage
from ..models import UTCDateTime
from ..satisfaction.models import Rating
from .models import Tag, TicketTag

#: The most received emails listed on a ticket (as inbound's own list).
EMAILS_LISTED = 50

_TICKET, _TENANT = sa.bindparam("ticket_id"), sa.bindparam("tenant_id")


def _row(kind, row_id, label, detail, at):
    return sa.select(
        sa.literal(kind).label("kind"),
        row_id.label("id"),
        sa.cast(label, sa.Text).label("label"),
        sa.cast(detail, sa.Text).label("detail"),
        sa.type_coerce(at, UTCDateTime).label("at"),
    )


_emails = (
    sa.select(InboundMessage.id, InboundMessage.subject, InboundMessage.sender, InboundMessage.received_at)
    .where(
        InboundMessage.tenant_id == _TENANT, InboundMessage.ticket_id == _TICKET, InboundMessage.raw_key.is_not(None)
    )
    .order_by(InboundMessage.id)
    .limit(EMAILS_LISTED)
    .subquery()
)

_EXTRAS = sa.union_all(
    _row("email", _emails.c.id, _emails.c.subject, _emails.c.sender, _emails.c.received_at),
    _row("rating", Rating.id, Rating.rating, Rating.comment, Rating.updated_at).where(
        Rating.ticket_id == _TICKET, Rating.tenant_id == _TENANT
    ),
    _row("tag", Tag.id, Tag.name, sa.null(), sa.null())
    .join(TicketTag, TicketTag.tag_id == Tag.id)
    .where(TicketTag.ticket_id == _TICKET, TicketTag.tenant_id == _TENANT),
)


@dataclass(frozen=True)
class ReceivedEmail:
    """One email received for the ticket whose raw message was kept (a line of "Emails received")."""

    id: int
    subject: str
    sender: str
    received_at: datetime


@dataclass(frozen=True)
class TicketExtras:
    """The side lists of one ticket: tag names (sorted), its rating (or None), the emails received (oldest first)."""

    tags: list
    rating: Rating | None
    emails: list


def ticket_extras(ticket):
    """Return the :class:`TicketExtras` of ``ticket``, read in one statement."""
    tags, emails, rating = [], [], None
    for row in session.execute(_EXTRAS, {"ticket_id": ticket.id, "tenant_id": ticket.tenant_id}):
        if row.kind == "tag":
            tags.append(row.label)
        elif row.kind == "email":
            emails.append(ReceivedEmail(row.id, row.label or "", row.detail or "", row.at))
        else:
            # A detached copy: the template reads it, nothing writes it.
            rating = Rating(
                id=row.id, ticket_id=ticket.id, rating=row.label, comment=row.detail or "", updated_at=row.at
            )
    emails.sort(key=lambda email: email.id)
    return TicketExtras(sorted(tags, key=str.casefold), rating, emails)
