"""A ticket's thread, for the customer or for staff: the one place that keeps notes from customers.

Everything a customer or a CC can reach — the portal page, portal downloads, the
emails' thread text — reads :func:`customer_thread` or filters with
:data:`PUBLIC_MESSAGE` / :func:`public_attachments`, so an internal note is left out
by the query itself, not by a template remembering to skip it.
"""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..db import session
from ..models import Attachment, MessageKind, Reply

#: The condition on ``Reply`` of a customer-facing message (no internal notes).
PUBLIC_MESSAGE = Reply.kind == MessageKind.REPLY.value


def public_attachments():
    """Return the condition on ``Attachment`` of files a customer may see: the ticket's own and its replies'."""
    public_replies = sa.select(Reply.id).where(Reply.ticket_id == Attachment.ticket_id, PUBLIC_MESSAGE)
    return sa.or_(Attachment.reply_id.is_(None), Attachment.reply_id.in_(public_replies.scalar_subquery()))


def _replies(public_only):
    stmt = sa.select(Reply).where(Reply.ticket_id == sa.bindparam("ticket_id"))
    if public_only:
        stmt = stmt.where(PUBLIC_MESSAGE)
    return stmt.options(joinedload(Reply.author)).order_by(Reply.created_at, Reply.id)


def _attachments(public_only):
    stmt = sa.select(Attachment).where(Attachment.ticket_id == sa.bindparam("ticket_id"))
    if public_only:
        stmt = stmt.where(public_attachments())
    return stmt.order_by(Attachment.id)


_CUSTOMER = (_replies(True), _attachments(True))
_STAFF = (_replies(False), _attachments(False))


def _load(ticket, statements):
    replies_stmt, attachments_stmt = statements
    replies = session.scalars(replies_stmt, {"ticket_id": ticket.id}).all()
    by_reply = {}
    for attachment in session.scalars(attachments_stmt, {"ticket_id": ticket.id}):
        by_reply.setdefault(attachment.reply_id, []).append(attachment)
    return replies, by_reply


def customer_thread(ticket):
    """Return the customer-facing replies of ``ticket`` (oldest first) and their attachments by reply id."""
    return _load(ticket, _CUSTOMER)


def staff_thread(ticket):
    """Return every message of ``ticket``, internal notes included, and the attachments by message id."""
    return _load(ticket, _STAFF)
