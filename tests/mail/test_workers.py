"""Several workers, real processes: every email exactly once, even when a worker dies mid-send."""

import collections
import signal
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, OutboxEmail, Tenant, User, utcnow
from xobito_tickets.tickets.services import open_ticket

from .conftest import deliver, extract_emails, flask_cli, smtp_env


def open_tickets(app, world, count):
    """Open ``count`` tickets as Carla (three emails each); return the number of queued emails."""
    with app.app_context():
        tenant = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        support = session.get(Department, world.support_id)
        for i in range(count):
            open_ticket(tenant, carla, support, f"Load {i}", "Queued for the workers.")
        return session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))


def message_ids(server):
    return [e.header("Message-ID") for e in extract_emails(server)]


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"worker failed ({process.returncode}):\n{out}\n{err}"
    return out


@pytest.mark.slow
def test_two_worker_processes_send_every_email_exactly_once(app, world, smtp_server):
    queued = open_tickets(app, world, 40)
    assert queued == 120
    smtp_server.mailbox.rcpt_delay = 0.02  # a real server's pace, so the workers overlap
    # The server stalls until both workers are in the middle of a send: on a busy machine one
    # process may start seconds after the other, and would otherwise find the queue empty.
    smtp_server.mailbox.hold = True
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # A socket timeout longer than the stall, so that the first worker waits for the second.
    env = smtp_env(smtp_server, TICKETS_MAIL_SMTP_TIMEOUT=120)
    workers = [
        flask_cli(url, "tickets", "send-mail", "--once", "--batch-size", "5", "--name", f"w{i}", env=env)
        for i in (1, 2)
    ]
    try:
        deadline = time.monotonic() + 60
        while smtp_server.mailbox.waiting < 2:
            exited = [worker for worker in workers if worker.poll() is not None]
            assert not exited, f"a worker stopped before sending: {exited[0].communicate()}"
            assert time.monotonic() < deadline, "the two workers did not both start sending within 60 s"
            time.sleep(0.05)
    finally:
        smtp_server.mailbox.hold = False
    outputs = [finish(worker) for worker in workers]

    ids = message_ids(smtp_server)
    duplicates = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert duplicates == []
    assert len(ids) == queued
    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail)).all()
        assert {r.status for r in rows} == {"sent"}
        assert sorted(r.message_id for r in rows) == sorted(ids)
        by_worker = collections.Counter(r.claimed_by for r in rows)
    assert set(by_worker) == {"w1", "w2"}, by_worker  # both really worked
    assert sum(int(out.split("sent ")[1].split()[0].rstrip(",.")) for out in outputs) == queued


@pytest.mark.slow
def test_a_worker_killed_between_claiming_and_sending_loses_nothing(app, world, smtp_server):
    queued = open_tickets(app, world, 2)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    lease = 5
    env = smtp_env(smtp_server, TICKETS_MAIL_CLAIM_TIMEOUT=lease)
    smtp_server.mailbox.hold = True  # the server stalls before accepting any recipient
    doomed = flask_cli(url, "tickets", "send-mail", "--once", "--name", "doomed", env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with app.app_context():
                claimed = session.scalar(
                    sa.select(sa.func.count()).where(
                        OutboxEmail.status == "sending", OutboxEmail.claimed_by == "doomed"
                    )
                )
                session.remove()
            if claimed == queued and smtp_server.mailbox.waiting:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never claimed the emails")
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    smtp_server.mailbox.hold = False
    assert smtp_server.received == []

    with app.app_context():
        claimed_at = session.scalar(sa.select(sa.func.min(OutboxEmail.claimed_at)))
        session.remove()
    # Before the lease runs out, a second worker leaves the claimed rows alone. This one's
    # lease is long, so that a slow start of its process cannot let the lease run out first.
    early_lease = 300
    early_env = smtp_env(smtp_server, TICKETS_MAIL_CLAIM_TIMEOUT=early_lease)
    finish(flask_cli(url, "tickets", "send-mail", "--once", "--name", "early", env=early_env))
    assert smtp_server.received == []
    assert utcnow() < claimed_at + timedelta(seconds=early_lease), "too slow to check the lease; raise it"
    # ... after it, the rows go back to the queue and are delivered, once each.
    time.sleep(max(0.0, (claimed_at + timedelta(seconds=lease + 0.3) - utcnow()).total_seconds()))
    out = finish(flask_cli(url, "tickets", "send-mail", "--once", "--name", "rescuer", env=env))
    assert f"sent {queued}" in out and f"{queued} recovered from a stopped worker" in out
    ids = message_ids(smtp_server)
    assert len(ids) == queued == len(set(ids))
    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail)).all()
        assert {(r.status, r.claimed_by, r.attempts) for r in rows} == {("sent", "rescuer", 2)}


def test_a_row_left_claimed_long_ago_is_delivered_and_one_out_of_attempts_fails(app, world, smtp_server):
    open_tickets(app, world, 1)
    long_ago = utcnow() - timedelta(hours=1)
    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
        for row in rows:
            row.status, row.claimed_by, row.claimed_at, row.attempts = "sending", "dead-host:4242:abc", long_ago, 1
        rows[0].attempts = app.config["TICKETS_MAIL_MAX_ATTEMPTS"]
        session.commit()
    stats = deliver(app)
    assert stats.recovered == 3 and stats.sent == 2
    assert len(smtp_server.received) == 2
    with app.app_context():
        states = session.execute(sa.select(OutboxEmail.status, OutboxEmail.last_error).order_by(OutboxEmail.id)).all()
    assert states[0] == ("failed", "The worker stopped while sending it; no attempts left.")
    assert [s for s, _ in states[1:]] == ["sent", "sent"]


def test_a_live_workers_fresh_claim_is_left_alone(app, world, smtp_server):
    open_tickets(app, world, 1)
    with app.app_context():
        session.execute(
            sa.update(OutboxEmail).values(status="sending", claimed_by="busy-worker", claimed_at=utcnow(), attempts=1)
        )
        session.commit()
    stats = deliver(app)
    assert (stats.recovered, stats.sent) == (0, 0)
    assert smtp_server.received == []


@pytest.mark.slow
def test_the_long_running_worker_delivers_new_emails_and_stops_cleanly(app, world, smtp_server):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = smtp_env(smtp_server, TICKETS_MAIL_POLL_INTERVAL=0.2)
    worker = flask_cli(url, "tickets", "send-mail", "--name", "daemon", env=env)
    try:
        for round_ in (1, 2):  # emails queued while it runs are picked up, round after round
            open_tickets(app, world, 1)
            deadline = time.monotonic() + 30
            while len(smtp_server.received) < 3 * round_ and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(smtp_server.received) == 3 * round_
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Outbox worker daemon delivering to SMTP 127.0.0.1" in out
    assert "Outbox: sent 3." in out
    assert len(message_ids(smtp_server)) == len(set(message_ids(smtp_server))) == 6
