"""The outbox worker: claim due rows, send them, retry with back-off, recover dead workers' rows.

Row life: ``pending`` → (claimed) ``sending`` → ``sent``; on a transient failure back to
``pending`` with ``next_attempt_at`` pushed out exponentially; after
TICKETS_MAIL_MAX_ATTEMPTS attempts (or a permanent refusal) ``failed``, where it stays
visible until someone retries it.

Claiming is one atomic UPDATE of a batch of due rows, safe with any number of workers
on several machines:

- PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``; two workers
  never wait for each other and never take the same row.
- SQLite: the same UPDATE inside ``BEGIN IMMEDIATE`` (:func:`~xobito_tickets.db.begin_write`),
  which holds the database's write lock, so claims happen one after another.

A claim is a lease: a row whose ``claimed_at`` is older than TICKETS_MAIL_CLAIM_TIMEOUT
belongs to a worker that died, and goes back to ``pending``. A live worker stops
sending a batch long before its lease ends (the SMTP socket timeout is far shorter), so
a row is sent once. The one unavoidable gap: if a worker dies after the server
accepted a message but before the row is marked sent, the message is sent again
after the timeout (at least once beats lost). Each row is marked sent in its own
short transaction right after the server accepts it, to keep that gap tiny.
"""

import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .. import jobs as background_jobs
from ..claims import claim_due
from ..db import begin_write, session
from ..models import OutboxEmail, OutboxStatus, utcnow
from .compose import ComposeError, Job, build_message
from .transport import TransportError, open_transport

PENDING = OutboxStatus.PENDING.value
SENDING = OutboxStatus.SENDING.value
SENT = OutboxStatus.SENT.value
FAILED = OutboxStatus.FAILED.value


@dataclass
class DeliveryStats:
    """What one run of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    errors: list = field(default_factory=list)

    def add(self, other):
        """Add the counts of ``other`` to these."""
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.recovered += other.recovered
        self.errors.extend(other.errors[-5:])
        del self.errors[:-5]


def default_worker_name():
    """Return a name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{random.randbytes(3).hex()}"


def retry_delay(attempts, config):
    """Return the seconds to wait after the ``attempts``-th failed attempt (exponential, capped, jittered)."""
    base = float(config["TICKETS_MAIL_RETRY_BASE"])
    cap = float(config["TICKETS_MAIL_RETRY_MAX"])
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    # ±10 % so that rows which failed together do not all come back together.
    return delay * random.uniform(0.9, 1.1)


class OutboxWorker:
    """Deliver outbox rows. Needs an app context; one instance per thread or process."""

    def __init__(self, name=None, batch_size=None):
        config = current_app.config
        self.name = name or default_worker_name()
        self.batch_size = int(batch_size or config["TICKETS_MAIL_BATCH_SIZE"])
        self.max_attempts = int(config["TICKETS_MAIL_MAX_ATTEMPTS"])
        self.claim_timeout = float(config["TICKETS_MAIL_CLAIM_TIMEOUT"])
        self.stop_event = threading.Event()

    # -- leases ----------------------------------------------------------------------

    def recover_stale(self):
        """Put rows claimed by a worker that died back in the queue (or fail them at the limit)."""
        cutoff = utcnow() - timedelta(seconds=self.claim_timeout)
        stale = sa.and_(OutboxEmail.status == SENDING, OutboxEmail.claimed_at < cutoff)
        # Read first: an idle queue must not take SQLite's write lock on every poll.
        if session.scalar(sa.select(OutboxEmail.id).where(stale).limit(1)) is None:
            session.commit()
            return 0
        begin_write()
        failed = session.execute(
            sa.update(OutboxEmail)
            .where(stale, OutboxEmail.attempts >= self.max_attempts)
            .values(
                status=FAILED,
                claimed_by=None,
                claimed_at=None,
                last_error="The worker stopped while sending it; no attempts left.",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        recovered = session.execute(
            sa.update(OutboxEmail)
            .where(stale)
            .values(
                status=PENDING,
                claimed_by=None,
                claimed_at=None,
                next_attempt_at=utcnow(),
                last_error="The worker stopped while sending it; queued again.",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if failed or recovered:
            current_app.logger.warning("outbox: recovered %d stale emails, %d failed at the limit", recovered, failed)
        return recovered + failed

    def claim(self, due_before=None):
        """Claim up to ``batch_size`` due rows for this worker; return their ids."""
        return claim_due(OutboxEmail, PENDING, SENDING, self.name, self.batch_size, due_before)

    def release(self, ids):
        """Give claimed rows back untouched (the worker is stopping or its lease runs short)."""
        if not ids:
            return
        begin_write()
        session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), OutboxEmail.claimed_by == self.name, OutboxEmail.status == SENDING)
            .values(status=PENDING, claimed_by=None, claimed_at=None, attempts=OutboxEmail.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()

    # -- one row ---------------------------------------------------------------------

    def _finish(self, job, **values):
        begin_write()
        done = session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == job.id, OutboxEmail.claimed_by == self.name, OutboxEmail.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not done:
            current_app.logger.warning(
                "outbox: email %s was taken from worker %s while it was sending", job.id, self.name
            )

    def _mark_sent(self, job):
        self._finish(job, status=SENT, sent_at=utcnow(), last_error=None)

    def _mark_failure(self, job, error, permanent, stats):
        error = str(error)[:2000]
        if permanent or job.attempts >= self.max_attempts:
            self._finish(job, status=FAILED, claimed_by=None, last_error=error)
            stats.failed += 1
            current_app.logger.error("outbox: email %s failed for good: %s", job.id, error)
        else:
            delay = retry_delay(job.attempts, current_app.config)
            self._finish(
                job,
                status=PENDING,
                claimed_by=None,
                claimed_at=None,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
                last_error=error,
            )
            stats.retried += 1
        stats.errors.append(error)
        del stats.errors[:-5]

    # -- batches ---------------------------------------------------------------------

    def _load_jobs(self, ids):
        rows = session.scalars(
            sa.select(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), OutboxEmail.claimed_by == self.name, OutboxEmail.status == SENDING)
            .order_by(OutboxEmail.id)
        ).all()
        jobs = [Job.from_row(row) for row in rows]
        session.commit()
        session.expunge_all()
        return jobs

    def _lease_short(self, job):
        # Stop well before the lease ends, so nobody recovers a row this worker still sends.
        return (utcnow() - job.claimed_at).total_seconds() > self.claim_timeout / 2

    def deliver(self, ids, transport=None):
        """Send the claimed rows ``ids`` (over ``transport``, or a new one); return a :class:`DeliveryStats`."""
        if transport is None:
            with open_transport() as transport:
                return self.deliver(ids, transport)
        stats = DeliveryStats()
        jobs = self._load_jobs(ids)
        for index, job in enumerate(jobs):
            if self.stop_event.is_set() or self._lease_short(job):
                self.release([j.id for j in jobs[index:]])
                break
            try:
                message = build_message(job)
            except ComposeError as exc:
                self._mark_failure(job, f"cannot compose: {exc}", True, stats)
                continue
            except Exception as exc:  # a template error: retry once someone fixes it
                current_app.logger.exception("outbox: cannot render email %s", job.id)
                self._mark_failure(job, f"cannot render: {exc!r}", False, stats)
                continue
            try:
                transport.send(message, job)
            except TransportError as exc:
                self._mark_failure(job, exc, exc.permanent, stats)
                if exc.connect_failed:
                    # The server is down: do not hammer it with the rest of the batch.
                    for rest in jobs[index + 1 :]:
                        self._mark_failure(rest, exc, False, stats)
                    break
                continue
            self._mark_sent(job)
            stats.sent += 1
        return stats

    # -- loops -----------------------------------------------------------------------

    def run_once(self):
        """Deliver every row that is due now, then return (``send-mail --once``).

        Rows are taken if they were due when the run started, so a row that fails
        and is rescheduled is not retried within the same run.
        """
        stats = DeliveryStats()
        stats.recovered = self.recover_stale()
        started = utcnow()
        # One SMTP connection for the whole run, not one per batch.
        with open_transport() as transport:
            while not self.stop_event.is_set():
                ids = self.claim(due_before=started)
                if not ids:
                    break
                stats.add(self.deliver(ids, transport))
        return stats

    def run_forever(self, report=None):
        """Deliver rows as they come due until :attr:`stop_event` is set."""
        poll = float(current_app.config["TICKETS_MAIL_POLL_INTERVAL"])
        recover_every = max(1.0, min(60.0, self.claim_timeout / 4))
        next_recovery = 0.0
        transport = open_transport()
        try:
            while not self.stop_event.is_set():
                stats = DeliveryStats()
                if time.monotonic() >= next_recovery:
                    stats.recovered = self.recover_stale()
                    next_recovery = time.monotonic() + recover_every
                ids = self.claim()
                if ids:
                    stats.add(self.deliver(ids, transport))
                if report is not None and (stats.sent or stats.retried or stats.failed or stats.recovered):
                    report(stats)
                if not ids or (stats.retried and not stats.sent):
                    # Idle, or the server is failing: hang up and wait before the next round.
                    transport.close()
                    self.stop_event.wait(poll)
                session.remove()
        finally:
            transport.close()


@background_jobs.job("outbox")
def deliver_outbox(app):
    """Deliver every due outbox row once (``flask tickets worker``'s mail job); return how many were handled."""
    stats = OutboxWorker().run_once()
    for error in stats.errors:
        app.logger.warning("outbox: %s", error)
    return stats.sent + stats.retried + stats.failed + stats.recovered
