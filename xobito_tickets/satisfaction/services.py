"""Save a rating: through the tickets' one write path, recorded in the history, announced by a signal."""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import signals
from ..db import session
from ..errors import ServiceError
from ..models import User, utcnow
from ..tickets.transaction import Transaction, current_app_object, record_event
from .models import COMMENT_MAX, Rating, RatingChoice


def rating_of(ticket):
    """Return the rating of ``ticket``, or None."""
    return session.scalar(sa.select(Rating).where(Rating.ticket_id == ticket.id, Rating.tenant_id == ticket.tenant_id))


def rate_ticket(ticket, choice, comment=""):
    """Save the requester's rating of ``ticket`` (``good`` or ``bad``) with a comment; a later one replaces it."""
    try:
        choice = RatingChoice(choice)
    except ValueError:
        raise ServiceError(_("Choose Good or Bad."), field="rating") from None
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ServiceError(_("At most %(most)s characters.", most=COMMENT_MAX), field="comment")
    with Transaction() as tx:
        ticket = tx.lock(ticket)
        requester = session.get(User, ticket.requester_id)
        rating = session.scalar(
            sa.select(Rating).where(Rating.ticket_id == ticket.id).execution_options(populate_existing=True)
        )
        now = utcnow()
        old = None
        if rating is None:
            rating = Rating(
                tenant_id=ticket.tenant_id, ticket_id=ticket.id, rating=choice.value, comment=comment, created_at=now
            )
            session.add(rating)
        else:
            old = RatingChoice(rating.rating).label
        rating.rating, rating.comment, rating.updated_at = choice.value, comment, now
        record_event(ticket, requester, "rating", old, choice.label)
        session.flush()
        signals.ticket_rated.send(current_app_object(), ticket=ticket, actor=requester, rating=rating)
    return rating
