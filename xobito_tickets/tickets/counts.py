"""The ticket counts behind the queue's status tabs (``tickets_queue_counts``).

Counting the visible tickets per status with ``COUNT(*)`` reads one index entry per
ticket: milliseconds at 100,000 tickets, a quarter of a second at 1,000,000. Instead
the services keep a small table of counts per (tenant, department, assignee,
priority, status) in the transaction that changes a ticket, and a tab is a ``SUM``
over at most a few hundred rows, whatever the size of the queue.

Only the services change tickets. Rows written around them (a bulk import, a
hand-edited database) are recounted with :func:`rebuild` (``flask tickets recount``).
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..db import session
from ..models import QueueCount, Ticket

_KEY_NAMES = ("tenant_id", "department_id", "assignee_id", "priority", "status")


def ticket_key(ticket):
    """Return the key of the counts row ``ticket`` is counted in."""
    return (ticket.tenant_id, ticket.department_id, ticket.assignee_id or 0, int(ticket.priority), ticket.status)


def is_waiting(ticket):
    """Return 1 if the customer wrote ``ticket``'s last customer-facing message (the ``waiting`` count), else 0."""
    return 1 if (ticket.last_message_by or "customer") == "customer" else 0


class Tally:
    """The tickets one transaction touches, with the key each had before it."""

    def __init__(self):
        self._tracked = {}

    def track(self, ticket, new=False):
        """Remember ``ticket`` and, unless it is ``new``, the key and waiting flag it has now."""
        if id(ticket) not in self._tracked:
            self._tracked[id(ticket)] = (ticket, None if new else (ticket_key(ticket), is_waiting(ticket)))

    def deltas(self):
        """Return ``{key: (change of n, change of waiting)}`` for every key the transaction changed."""
        changes = {}

        def add(key, n, waiting):
            old_n, old_waiting = changes.get(key, (0, 0))
            changes[key] = (old_n + n, old_waiting + waiting)

        for ticket, before in self._tracked.values():
            after = (ticket_key(ticket), is_waiting(ticket))
            if after == before:
                continue
            if before is not None:
                add(before[0], -1, -before[1])
            add(after[0], 1, after[1])
        return {key: change for key, change in changes.items() if change != (0, 0)}


#: dialect name -> the INSERT … ON CONFLICT that adds to the counts, built once.
_UPSERTS = {}


def _upsert_statement(dialect):
    statement = _UPSERTS.get(dialect)
    if statement is None:
        table = QueueCount.__table__
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
        statement = _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=list(_KEY_NAMES),
            set_={"n": table.c.n + insert.excluded.n, "waiting": table.c.waiting + insert.excluded.waiting},
        )
    return statement


def apply(deltas):
    """Add ``deltas`` (``{key: change}``) to the counts in one statement (an executemany).

    Rows are written in key order, so two transactions that both move tickets
    between the same keys lock those rows in the same order and cannot deadlock.
    """
    if not deltas:
        return
    rows = []
    for key, change in sorted(deltas.items()):
        n, waiting = change if isinstance(change, tuple) else (change, 0)
        rows.append(dict(zip(_KEY_NAMES, key, strict=True), n=n, waiting=waiting))
    dialect = session.get_bind(mapper=QueueCount).dialect.name
    if dialect in ("sqlite", "postgresql"):
        session.execute(_upsert_statement(dialect), rows)
        return
    for row in rows:  # Any other database: update, or insert the first ticket of a key.
        key = [getattr(QueueCount, name) == row[name] for name in _KEY_NAMES]
        updated = session.execute(
            sa.update(QueueCount)
            .where(*key)
            .values(n=QueueCount.n + row["n"], waiting=QueueCount.waiting + row["waiting"])
        )
        if updated.rowcount == 0:
            session.execute(sa.insert(QueueCount).values(**row))


def rebuild_statements(tenant_id=None):
    """Return the DELETE and the INSERT … SELECT that recount one tenant (or all) from the tickets."""
    only = [] if tenant_id is None else [QueueCount.tenant_id == tenant_id]
    assignee = sa.func.coalesce(Ticket.assignee_id, 0)
    key = (Ticket.tenant_id, Ticket.department_id, assignee, Ticket.priority, Ticket.status)
    waiting = sa.func.count().filter(Ticket.last_message_by == "customer")
    counted = sa.select(*key, sa.func.count(), waiting).group_by(*key)
    if tenant_id is not None:
        counted = counted.where(Ticket.tenant_id == tenant_id)
    return sa.delete(QueueCount).where(*only), sa.insert(QueueCount).from_select([*_KEY_NAMES, "n", "waiting"], counted)


def rebuild(tenant_id=None):
    """Recount the counts of one tenant (or all) from the tickets; the caller commits."""
    for statement in rebuild_statements(tenant_id):
        session.execute(statement)
