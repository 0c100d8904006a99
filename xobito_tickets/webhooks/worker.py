"""Deliver webhook rows: claim due ones, send them in parallel, retry with back-off for a day.

Row life: ``pending`` → (claimed) ``delivering`` → ``delivered``; a failed attempt (no 2xx)
goes back to ``pending`` with ``next_attempt_at`` pushed out exponentially, until the row is
TICKETS_WEBHOOK_RETRY_WINDOW old: then ``failed``. An endpoint whose attempts have failed for
that long without one success is switched off and the tenant's admins are emailed.

Claims are leases, as in the mail outbox (:mod:`xobito_tickets.mail.worker`): one UPDATE of a
batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); a row claimed
longer than TICKETS_WEBHOOK_CLAIM_TIMEOUT ago belongs to a worker that died and is queued
again. Delivery is at least once: receivers drop repeats by the payload's ``id``.
"""

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from ..claims import claim_due
from ..db import begin_write, session
from ..i18n.setup import lazy_gettext as _l
from ..jobs import job
from ..mail.worker import default_worker_name
from ..models import utcnow
from ..tickets.transaction import commit_keeping_state
from .guard import UnsafeURLError, check_url
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .notify import endpoint_disabled
from .signing import signature_header
from .transport import DeliveryResult, Sender

PENDING = DeliveryStatus.PENDING.value
DELIVERING = DeliveryStatus.DELIVERING.value
DELIVERED = DeliveryStatus.DELIVERED.value
FAILED = DeliveryStatus.FAILED.value
#: Stored in English; the endpoint's page shows it in the reader's language (a catalogue lookup).
DISABLED_REASON = _l("Every delivery failed for 24 hours.")


def _stored(text):
    """Return a lazy text in English, as it is kept in the database."""
    with force_locale("en"):
        return str(text)


@dataclass
class PassStats:
    """What one pass of the worker did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    disabled: int = 0

    @property
    def handled(self):
        return self.delivered + self.retried + self.failed


def retry_delay(attempts, config):
    """Return the seconds to wait after the ``attempts``-th failed attempt (exponential, capped, jittered)."""
    base = float(config["TICKETS_WEBHOOK_RETRY_BASE"])
    cap = float(config["TICKETS_WEBHOOK_RETRY_MAX"])
    # ±10 % so that deliveries which failed together do not all come back together; at least
    # a second, so a pass (which takes the rows due when it started) never meets a row twice.
    return max(1.0, min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.9, 1.1))


def headers_for(delivery, secret, timestamp=None):
    """Return the headers of one attempt at ``delivery``, signed now (or at ``timestamp``)."""
    return {
        "X-Xobito-Event": delivery.event,
        # SPEC §18: the payload's ``id`` (the event; a redelivery repeats it, so receivers drop repeats).
        "X-Xobito-Delivery": delivery.event_id,
        "X-Xobito-Signature": signature_header(secret, delivery.body.encode(), timestamp),
    }


class WebhookWorker:
    """Deliver webhook rows. Needs an app context; one instance per thread or process."""

    def __init__(self, name=None, sender=None):
        config = current_app.config
        self.name = name or default_worker_name()
        self.batch_size = int(config["TICKETS_WEBHOOK_BATCH_SIZE"])
        self.concurrency = max(1, int(config["TICKETS_WEBHOOK_CONCURRENCY"]))
        self.claim_timeout = float(config["TICKETS_WEBHOOK_CLAIM_TIMEOUT"])
        self.retry_window = float(config["TICKETS_WEBHOOK_RETRY_WINDOW"])
        self.allow_private = bool(config["TICKETS_WEBHOOK_ALLOW_PRIVATE"])
        self.sender = sender or Sender(timeout=float(config["TICKETS_WEBHOOK_TIMEOUT"]), connections=self.concurrency)

    def recover_stale(self):
        """Queue again the rows claimed by a worker that stopped answering; return how many."""
        stale = sa.and_(
            WebhookDelivery.status == DELIVERING,
            WebhookDelivery.claimed_at < utcnow() - timedelta(seconds=self.claim_timeout),
        )
        # Read first: an idle queue must not take SQLite's write lock on every pass.
        if session.scalar(sa.select(WebhookDelivery.id).where(stale).limit(1)) is None:
            session.commit()
            return 0
        begin_write()
        count = session.execute(
            sa.update(WebhookDelivery)
            .where(stale)
            .values(status=PENDING, claimed_by=None, claimed_at=None, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        return count

    def claim(self, due_before=None):
        """Claim up to a batch of rows due at ``due_before`` (now) for this worker; return their ids."""
        return claim_due(WebhookDelivery, PENDING, DELIVERING, self.name, self.batch_size, due_before)

    def _send_lane(self, url, lane, results):
        """Send one endpoint's deliveries in order (runs in a thread: no database here).

        The URL is checked and resolved once for the lane; every request of it goes to the
        checked addresses.
        """
        try:
            target = check_url(url, allow_private=self.allow_private)
        except UnsafeURLError as exc:
            for index, _body, _headers in lane:
                results[index] = DeliveryResult(None, exc.message, "", 0)
            return
        for index, body, headers in lane:
            results[index] = self.sender.post(target, body, headers)

    def run_batch(self, stats, due_before=None):
        """Claim one batch, deliver it and record the results; return how many rows it had."""
        ids = self.claim(due_before)
        if not ids:
            return 0
        rows = session.execute(
            sa.select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.id)
        ).all()
        session.commit()
        jobs, skipped = [], []
        for delivery, endpoint in rows:
            if endpoint.active:
                jobs.append((delivery, endpoint))
            else:
                skipped.append(delivery)
        # One endpoint's deliveries go one after another, in order (oldest first); different
        # endpoints are served in parallel, so one slow receiver does not hold up the others.
        lanes = {}
        for index, (delivery, endpoint) in enumerate(jobs):
            work = (index, delivery.body.encode(), headers_for(delivery, endpoint.secret))
            lanes.setdefault(endpoint.id, (endpoint.url, []))[1].append(work)
        results = [None] * len(jobs)
        if len(lanes) > 1 and self.concurrency > 1:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(lanes))) as pool:
                list(pool.map(lambda item: self._send_lane(item[0], item[1], results), lanes.values()))
        else:
            for url, lane in lanes.values():
                self._send_lane(url, lane, results)
        self._record(jobs, results, skipped, stats)
        return len(rows)

    def _record(self, jobs, results, skipped, stats):
        """Write the outcome of a batch in one transaction; switch off endpoints failing too long."""
        now = utcnow()
        window = timedelta(seconds=self.retry_window)
        config = current_app.config
        begin_write()
        mine = sa.and_(WebhookDelivery.claimed_by == self.name, WebhookDelivery.status == DELIVERING)
        succeeded, failing, outcomes = set(), {}, []
        for (delivery, endpoint), result in zip(jobs, results, strict=True):
            error = None if result.ok else (result.error or f"answered {result.status_code}")[:500]
            outcome = dict(
                b_id=delivery.id,
                b_status=DELIVERED,
                b_next=delivery.next_attempt_at,
                b_delivered=None,
                b_code=result.status_code,
                b_excerpt=result.response_excerpt or None,
                b_error=error,
                b_ms=result.duration_ms,
            )
            if result.ok:
                outcome["b_delivered"] = now
                stats.delivered += 1
                succeeded.add(endpoint.id)
            else:
                retry_at = now + timedelta(seconds=retry_delay(delivery.attempts, config))
                if retry_at - delivery.created_at > window:
                    outcome["b_status"] = FAILED
                    stats.failed += 1
                else:
                    outcome.update(b_status=PENDING, b_next=retry_at)
                    stats.retried += 1
                failing[endpoint.id] = endpoint
            outcomes.append(outcome)
        if outcomes:
            # One statement for the batch (executemany), not one UPDATE built per row.
            table = WebhookDelivery.__table__
            session.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"), table.c.claimed_by == self.name)
                .where(table.c.status == DELIVERING)
                .values(
                    status=sa.bindparam("b_status"),
                    next_attempt_at=sa.bindparam("b_next"),
                    delivered_at=sa.bindparam("b_delivered"),
                    response_code=sa.bindparam("b_code"),
                    response_excerpt=sa.bindparam("b_excerpt"),
                    last_error=sa.bindparam("b_error"),
                    duration_ms=sa.bindparam("b_ms"),
                    last_attempt_at=now,
                    claimed_by=None,
                    claimed_at=None,
                ),
                outcomes,
            )
        if skipped:
            session.execute(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([d.id for d in skipped]), mine)
                .values(status=FAILED, claimed_by=None, claimed_at=None, last_error="The endpoint is switched off.")
                .execution_options(synchronize_session=False)
            )
            stats.failed += len(skipped)
        if succeeded:
            session.execute(
                sa.update(WebhookEndpoint).where(WebhookEndpoint.id.in_(succeeded)).values(failing_since=None)
            )
        for endpoint_id, endpoint in failing.items():
            if endpoint_id in succeeded:
                continue
            # Set the start of the failure once; a concurrent worker's value wins.
            session.execute(
                sa.update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
                .values(failing_since=now)
            )
            since = session.scalar(sa.select(WebhookEndpoint.failing_since).where(WebhookEndpoint.id == endpoint_id))
            if since is not None and now - since >= window:
                switched = session.execute(
                    sa.update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
                    .values(active=False, disabled_reason=_stored(DISABLED_REASON))
                ).rowcount
                if switched:
                    stats.disabled += 1
                    endpoint_disabled(endpoint, since)
        session.commit()

    def run_once(self):
        """Deliver every row due now, batch after batch; return the pass's :class:`PassStats`."""
        stats = PassStats()
        stats.recovered = self.recover_stale()
        started = utcnow()
        with self.sender:
            while self.run_batch(stats, due_before=started):
                pass
        return stats


def deliver_due(name=None, sender=None):
    """Deliver every webhook due now (one pass, inside an app context); return its :class:`PassStats`."""
    return WebhookWorker(name=name, sender=sender).run_once()


@job("webhooks")
def deliver_webhooks(app):
    """Worker job: one pass over the due webhook deliveries; return how many were handled."""
    return deliver_due().handled


def redeliver(delivery):
    """Queue ``delivery``'s event again for its endpoint as a new delivery (same event id and body)."""
    copy = WebhookDelivery(
        tenant_id=delivery.tenant_id,
        endpoint_id=delivery.endpoint_id,
        uid=str(uuid.uuid4()),
        event_id=delivery.event_id,
        event=delivery.event,
        ticket_number=delivery.ticket_number,
        body=delivery.body,
        status=PENDING,
        next_attempt_at=utcnow(),
    )
    begin_write()
    session.add(copy)
    commit_keeping_state()
    return copy
