"""Who does a piece of background work: claim a batch of due queue rows (the mail outbox, webhook
deliveries), or do a one-time job once behind a marker row (SLA alerts, auto-close reminders).

Knows only db and models; the workers (mail/worker.py, webhooks/worker.py, sla/) call it.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .db import begin_write, session
from .models import utcnow


def claim_due(model, pending, claimed, worker, batch_size, due_before=None):
    """Claim up to ``batch_size`` rows of ``model`` due at ``due_before`` (now) for ``worker``; return their ids.

    ``model`` has ``status``, ``next_attempt_at``, ``claimed_by``, ``claimed_at`` and
    ``attempts``. Claiming is one UPDATE of a batch: on PostgreSQL its rows are picked with
    ``FOR UPDATE SKIP LOCKED`` (two workers never wait for each other or take the same row);
    on SQLite it runs inside ``BEGIN IMMEDIATE``, so claims happen one after another.
    """
    due_before = due_before or utcnow()
    due = sa.and_(model.status == pending, model.next_attempt_at <= due_before)
    # Read first: an idle queue must not take SQLite's write lock on every poll.
    if session.scalar(sa.select(model.id).where(due).limit(1)) is None:
        session.commit()
        return []
    candidates = (
        sa.select(model.id)
        .where(due)
        .order_by(model.next_attempt_at, model.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has BEGIN IMMEDIATE instead
    )
    begin_write()
    ids = (
        session.execute(
            sa.update(model)
            # Only the id condition: with a status test here too, SQLite walks every
            # pending row's index entry per claim instead of looking up the batch's ids.
            .where(model.id.in_(candidates))
            .values(status=claimed, claimed_by=worker, claimed_at=utcnow(), attempts=model.attempts + 1)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    session.commit()
    return sorted(ids)


def do_once(find, *args):
    """Do the one-time job ``find(*args)`` describes, in a transaction of its own; return whether this call did it.

    ``find`` loads what it needs and returns None when there is nothing (left) to do, else
    ``(markers, queue)``: the marker rows whose unique keys name the job (an alert, a
    reminder) and a callable that queues its work (the emails). The markers are inserted
    first, then the work is queued and everything is committed together. An
    ``IntegrityError`` means another worker inserted a marker first and did the job: this
    transaction is rolled back and nothing is queued twice.
    """
    begin_write()
    try:
        job = find(*args)
        if job is None:
            session.rollback()
            return False
        markers, queue = job
        session.add_all(markers)
        session.flush()
        queue()
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False
    except Exception:
        session.rollback()
        raise
