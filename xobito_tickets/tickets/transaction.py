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
from ..models import Attachment, Ticket, TicketEvent, utcnow
from ..web.ratelimit import count_marked_post
from . import counts
from .storage import get_storage


def current_app_object():
    """Return the running app: the sender of every signal."""
    return current_app._get_current_object()


def record_event(ticket, actor, kind, old=None, new=None):
    """Add a line to the ticket's history, in the running transaction.

    Inside a :class:`Transaction` the line is kept until the transaction's next
    :meth:`~Transaction.flush` (or its end), which writes all of them in one INSERT.
    """
    row = dict(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        # The time of the change, not of the INSERT: the lines of one action stay in order.
        created_at=utcnow(),
    )
    running = session.info.get(_RUNNING)
    if running is not None:
        running.events.append(row)
    else:
        session.add(TicketEvent(**row))


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
#: it) and its requester (told about every staff reply and change; the reload would
#: otherwise leave the row to be read again): ``of=Ticket`` locks the ticket's row only.
#: Not the assignee: on PostgreSQL a lock that waited for another transaction rechecks the
#: ticket's new row against the joined rows it read before, so an assignee changed by that
#: transaction would come back as the old one (the requester never changes).
_LOCK_TICKET = (
    sa.select(Ticket)
    .where(Ticket.id == sa.bindparam("ticket_id"))
    .options(
        joinedload(Ticket.department, innerjoin=True),
        joinedload(Ticket.requester, innerjoin=True),
    )
    .with_for_update(of=Ticket)
    .execution_options(populate_existing=True)
)

#: name -> function of a tenant id (a column or a parameter) returning a scalar SQL expression (see
#: :func:`check_tenant_in_transaction`).
_TENANT_CHECKS = {}
#: Statements with the registered checks (:func:`with_tenant_checks`), by key.
_built = {}


def check_tenant_in_transaction(name, expression):
    """Have each write transaction read ``expression(tenant id column)`` with the statement that starts it.

    A receiver that has work only for some tenants (webhook endpoints) asks
    :func:`tenant_check` instead of running a query of its own on every change. The check is
    read by the statement that locks the ticket (or takes the new ticket's number), inside
    the write transaction: it is as current as a query of the receiver's own would be, in
    every process, and costs no statement.
    """
    _TENANT_CHECKS[name] = expression
    _built.clear()


def tenant_check(name, tenant_id):
    """Return the value of the check ``name`` for ``tenant_id`` read by the running transaction, or None if not read."""
    running = session.info.get(_RUNNING)
    if running is None:
        return None
    return running.tenant_checks.get(tenant_id, {}).get(name)


def with_tenant_checks(key, statement, tenant_id_column):
    """Return ``statement`` (a SELECT, or a DML statement with RETURNING) reading the registered checks too.

    The checks are columns over ``tenant_id_column`` (or a bound parameter), labelled with their names; the
    statement is built once per ``key`` (again after a check is registered).
    """
    built = _built.get(key)
    if built is None:
        columns = [expression(tenant_id_column).label(name) for name, expression in _TENANT_CHECKS.items()]
        if not columns:
            built = statement
        elif isinstance(statement, sa.Select):
            built = statement.add_columns(*columns)
        else:
            built = statement.returning(*columns)
        _built[key] = built
    return built


#: The key in ``session.info`` of the transaction running now.
_RUNNING = "xobito_tickets.transaction"


class Transaction:
    """Run a service body: commit at the end, or roll back and remove written files.

    A service called inside another service's transaction joins it (``with`` gives the
    running one): several changes saved as one action commit together or not at all.
    """

    def __init__(self):
        self.written = []
        #: History lines not yet written (:func:`record_event`).
        self.events = []
        #: ``{tenant id: {check name: value}}`` as read by this transaction (:func:`tenant_check`).
        self.tenant_checks = {}
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
                    self.flush()
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

    def flush(self):
        """Flush the session and write the history lines recorded since the last flush, in one INSERT."""
        session.flush()
        if self.events:
            rows, self.events = self.events, []
            session.execute(sa.insert(TicketEvent.__table__), rows)

    def remember_tenant_checks(self, tenant_id, row):
        """Keep the registered checks' values from ``row`` (a result row with their labels) for ``tenant_id``."""
        mapping = row._mapping
        checks = {name: mapping[name] for name in _TENANT_CHECKS if name in mapping}
        if checks:
            self.tenant_checks[tenant_id] = checks

    def _undo(self):
        self.events = []
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
        statement = with_tenant_checks("lock", _LOCK_TICKET, Ticket.tenant_id)
        row = session.execute(statement, {"ticket_id": ticket.id}).one_or_none()
        if row is None:
            # On PostgreSQL a lock that waited for another transaction rechecks the ticket's
            # new row against the department row joined before: moved to another department
            # meanwhile, the ticket drops out. Read again, as the new row (a deleted ticket
            # still raises).
            row = session.execute(statement, {"ticket_id": ticket.id}).one()
        ticket = row[0]
        self.remember_tenant_checks(ticket.tenant_id, row)
        self.tally.track(ticket)
        return ticket
