"""The merge of a ticket into another, in one ticket-services transaction."""

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import signals
from ..cc.services import add_ccs_in_transaction, cc_emails
from ..db import session
from ..errors import ServiceError
from ..models import Attachment, Reply, TicketStatus, utcnow
from ..tickets.transaction import Transaction, current_app_object, record_event


def check_merge(source, target, actor):
    """Raise :class:`ServiceError` (on ``into``) unless ``source`` may be merged into ``target`` by ``actor``."""
    if not actor.is_staff or source.tenant_id != actor.tenant_id:
        raise ServiceError(_("Only staff can merge tickets."), field="into")
    if target is None or target.tenant_id != source.tenant_id:
        raise ServiceError(_("There is no ticket with that number that you can see."), field="into")
    if target.id == source.id:
        raise ServiceError(_("A ticket cannot be merged into itself."), field="into")
    if source.merged_into_id is not None:
        raise ServiceError(_("This ticket was merged already."), field="into")
    if target.merged_into_id is not None:
        raise ServiceError(
            _("%(number)s was itself merged into another ticket.", number=target.display_number), field="into"
        )


def merge_ticket(source, target, actor):
    """Move ``source``'s messages and files into ``target``, close ``source`` and point it at ``target``.

    The source's original message becomes a message of the target, dated when the
    source was opened, so the target's thread reads in time order. No email is sent:
    the ``ticket_merged`` signal is sent instead of ``ticket_closed``. The caller has
    checked that ``actor`` may see both tickets.
    """
    check_merge(source, target, actor)
    with Transaction() as tx:
        # Lock in id order, so two merges of the same pair in opposite directions cannot deadlock.
        first, second = sorted((source, target), key=lambda t: t.id)
        locked = {t.id: tx.lock(t) for t in (first, second)}
        source, target = locked[source.id], locked[target.id]
        check_merge(source, target, actor)  # again, under the locks: a concurrent merge may have won
        opening = Reply(
            tenant_id=target.tenant_id,
            ticket_id=target.id,
            author_id=source.requester_id,
            body=source.body,
            created_at=source.created_at,
        )
        session.add(opening)
        session.flush()
        moved_replies = session.execute(
            sa.update(Reply)
            .where(Reply.ticket_id == source.id, Reply.tenant_id == source.tenant_id, Reply.id != opening.id)
            .values(ticket_id=target.id)
        ).rowcount
        # Files sent with the source itself now belong to its opening message on the target.
        session.execute(
            sa.update(Attachment)
            .where(Attachment.ticket_id == source.id, Attachment.tenant_id == source.tenant_id)
            .values(ticket_id=target.id, reply_id=sa.func.coalesce(Attachment.reply_id, opening.id))
        )
        if source.last_reply_at > target.last_reply_at:
            # The newest customer-facing message is now the source's: so is its author's side.
            target.last_reply_at = source.last_reply_at
            target.last_message_by = source.last_message_by
        old_status = TicketStatus(source.status)
        if old_status != TicketStatus.CLOSED:
            source.status = TicketStatus.CLOSED.value
            source.closed_at = utcnow()
            record_event(source, actor, "status", old_status.value, TicketStatus.CLOSED.value)
        source.merged_into_id = target.id
        record_event(source, actor, "merged_into", new=target.display_number)
        record_event(target, actor, "merged_from", new=source.display_number)
        # The source's customer keeps hearing about their request, as a CC of the target.
        carried = [] if source.requester_id == target.requester_id else [source.requester.email.lower()]
        add_ccs_in_transaction(target, actor, carried + list(cc_emails(source)))
        session.flush()
        signals.ticket_merged.send(
            current_app_object(),
            ticket=source,
            actor=actor,
            target=target,
            old_status=old_status,
            moved_replies=moved_replies + 1,
        )
    return target
