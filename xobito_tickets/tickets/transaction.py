"""The one write path: every change to a ticket runs in a :class:`Transaction`.

A service opens it, reloads the ticket under its row lock (:meth:`Transaction.lock`),
changes the rows, records the change in the ticket's history (:func:`record_event`),
sends its signal (receivers add outbox rows and index entries to the same
transaction) and leaves the block: the queue counts are tallied and the transaction
commits, or on any failure it is rolled back and every file written for it removed.
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from ..db import begin_write, session
from ..models import Attachment, Ticket, TicketEvent
from ..web.ratelimit import count_marked_post
from . import counts
from .storage import get_storage


def current_app_object():
    """Return the running app: the sender of every signal."""
    return current_app._get_current_object()


def record_event(ticket, actor, kind, old=None, new=None):
    """Add a line to the ticket's history, in the running transaction."""
    session.add(
        TicketEvent(
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            actor_id=actor.id if actor is not None else None,
            kind=kind,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
        )
    )


def commit_keeping_state():
    """Commit without expiring the session's objects.

    They hold what this transaction has just written (the rows a service decides on
    were reloaded under its lock), so they are current. Expiring them made the view
    reload the ticket and the tenant right after, to build the redirect: two queries
    on every action.
    """
    sess = session()
    expire, sess.expire_on_commit = sess.expire_on_commit, False
    try:
        sess.commit()
    finally:
        sess.expire_on_commit = expire


#: A ticket reloaded under its row lock, with its department (every notification names
#: it): ``of=Ticket`` locks the ticket's row only.
_LOCK_TICKET = (
    sa.select(Ticket)
    .where(Ticket.id == sa.bindparam("ticket_id"))
    .options(joinedload(Ticket.department, innerjoin=True))
    .with_for_update(of=Ticket)
    .execution_options(populate_existing=True)
)


#: The key in ``session.info`` of the transaction running now.
_RUNNING = "xobito_tickets.transaction"


class Transaction:
    """Run a service body: commit at the end, or roll back and remove written files.

    A service called inside another service's transaction joins it (``with`` gives the
    running one): several changes saved as one action commit together or not at all.
    """

    def __init__(self):
        self.written = []
        self.tally = counts.Tally()
        self._joined = None

    def __enter__(self):
        running = session.info.get(_RUNNING)
        if running is not None:
            self._joined = running
            return running
        begin_write()
        try:
            # A post of a view marked with limit_posting counts in this transaction.
            count_marked_post()
        except BaseException:
            session.rollback()
            raise
        session.info[_RUNNING] = self
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._joined is not None:
            # The outer transaction commits, or rolls back on the exception passing through.
            self._joined = None
            return False
        try:
            if exc_type is None:
                try:
                    counts.apply(self.tally.deltas())
                    commit_keeping_state()
                except BaseException:
                    self._undo()
                    raise
            else:
                self._undo()
        finally:
            session.info.pop(_RUNNING, None)
        return False

    def _undo(self):
        session.rollback()
        storage = get_storage()
        for key in self.written:
            try:
                storage.delete(key)
            except OSError:
                current_app.logger.exception("could not remove %s after a failed change", key)

    def store_files(self, ticket, reply, uploader, files):
        """Write ``files`` to storage and add their Attachment rows."""
        storage = get_storage()
        rows = []
        for upload in files or ():
            upload.stream.seek(0)
            key = storage.save(ticket.tenant_id, upload.stream)
            self.written.append(key)
            rows.append(
                dict(
                    tenant_id=ticket.tenant_id,
                    ticket_id=ticket.id,
                    reply_id=reply.id if reply is not None else None,
                    uploader_id=uploader.id,
                    storage_key=key,
                    filename=upload.filename,
                    content_type=upload.content_type,
                    size=upload.size,
                )
            )
        if not rows:
            return []
        # One INSERT for all files. session.add() per file would cost one statement
        # per file on SQLite, which cannot return generated ids in parameter order;
        # RETURNING without that order is one statement, matched back by the unique key.
        inserted = session.scalars(sa.insert(Attachment).returning(Attachment), rows).all()
        by_key = {attachment.storage_key: attachment for attachment in inserted}
        return [by_key[row["storage_key"]] for row in rows]

    def lock(self, ticket):
        """Reload ``ticket`` inside the write transaction, locking its row, and track its counts."""
        ticket = session.scalars(_LOCK_TICKET, {"ticket_id": ticket.id}).one()
        self.tally.track(ticket)
        return ticket
