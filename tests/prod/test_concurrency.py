"""Many processes at once: ticket numbers stay unique and in order, and no change is lost.

Each worker is a separate process with its own app and connection pool (as gunicorn
workers and app servers are), on this run's database: a SQLite file or PostgreSQL.
"""

import multiprocessing
import queue
import threading
import time

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Reply, Tenant, Ticket, TicketCounter, TicketEvent, User
from xobito_tickets.tickets.services import change_priority, open_ticket

from . import workers
from .conftest import queue_counts_drift

pytestmark = pytest.mark.slow

PROCESSES = 4
TICKETS_PER_PROCESS = 16
ROUNDS = 8


# A fork server that imported the app once starts workers in milliseconds, where
# "spawn" re-imports everything in each (seconds on a busy 2-core machine); unlike a
# plain fork of pytest, it never copies the test process's threads or connections.
_ctx = multiprocessing.get_context("forkserver")
_ctx.set_forkserver_preload(["xobito_tickets", "tests.prod.workers"])


def _run_processes(target, args_list, timeout=120):
    """Start one process per argument tuple; return what they put on the results queue."""
    ctx = _ctx
    results = ctx.Queue()
    barrier = ctx.Barrier(len(args_list))
    processes = [ctx.Process(target=target, args=(*args[:2], barrier, *args[2:], results)) for args in args_list]
    for process in processes:
        process.start()
    collected = []
    try:
        for _ in processes:
            status, value = results.get(timeout=timeout)
            if status == "error":
                barrier.abort()  # let the others stop instead of waiting for it
                pytest.fail(f"a worker process failed:\n{value}")
            collected.append(value)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return collected


def test_ticket_numbers_stay_unique_and_increasing_under_concurrent_creation(app, world, tmp_path):
    url, storage = app.config["SQLALCHEMY_DATABASE_URI"], app.config["TICKETS_STORAGE_ROOT"]
    # Globex starts without a counter row (a tenant made outside create_tenant): the
    # first tickets of several processes race to create it.
    with app.app_context():
        session.execute(sa.delete(TicketCounter).where(TicketCounter.tenant_id == world.globex_id))
        session.commit()

    runs = _run_processes(
        workers.create_tickets,
        [(url, storage, ("acme", "globex"), TICKETS_PER_PROCESS) for _ in range(PROCESSES)],
    )

    per_tenant = PROCESSES * TICKETS_PER_PROCESS // 2
    # The processes really ran at the same time: their numbers interleave.
    spans = [[n for _, n in taken] for taken in runs]
    assert any(min(a) < max(b) and min(b) < max(a) for a in spans for b in spans if a is not b)
    for taken in runs:
        # Each process saw its own numbers grow, tenant by tenant.
        for slug in ("acme", "globex"):
            mine = [number for s, number in taken if s == slug]
            assert mine == sorted(mine) and len(set(mine)) == len(mine)
    with app.app_context():
        for tenant_id in (world.acme_id, world.globex_id):
            rows = session.execute(
                sa.select(Ticket.id, Ticket.number, Ticket.created_at).where(Ticket.tenant_id == tenant_id)
            ).all()
            # No gap, no duplicate: exactly 1..n in each tenant.
            assert sorted(r.number for r in rows) == list(range(1, per_tenant + 1))
            # Numbers follow creation: ordering by number, by row id and by creation time agree.
            by_number = [r.id for r in sorted(rows, key=lambda r: r.number)]
            assert by_number == [r.id for r in sorted(rows, key=lambda r: r.id)]
            assert by_number == [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.number))]
            assert session.get(TicketCounter, tenant_id).last_number == per_tenant
        tenant = session.get(Tenant, world.acme_id)
        customer = session.get(User, world.customer_id)
        ticket = open_ticket(tenant, customer, _support(world), "After the rush", "Next one.")
        assert ticket.display_number == f"TKT-{per_tenant + 1:06d}"
    # The queue's counts moved with every ticket, in every process.
    assert queue_counts_drift(app) == {}


def _support(world):
    return session.get(Department, world.support_id)


@pytest.fixture
def contested_ticket(app, world):
    """A ticket of Acme's Support department, which Sam (staff) and Ada (admin) both handle."""
    with app.app_context():
        ticket = open_ticket(
            session.get(Tenant, world.acme_id),
            session.get(User, world.customer_id),
            _support(world),
            "Both of you, please",
            "Two people will answer this at once.",
        )
        return ticket.number


def _check_history(app, number, staff_emails, rounds):
    """Every change is in the history, each starts where the previous one ended, and the ticket agrees."""
    with app.app_context():
        ticket = session.scalars(sa.select(Ticket).where(Ticket.number == number)).one()
        replies = session.scalars(sa.select(Reply).where(Reply.ticket_id == ticket.id).order_by(Reply.id)).all()
        assert sorted(r.body for r in replies) == sorted(
            f"Reply {i} from {email}" for email in staff_emails for i in range(rounds)
        )
        events = session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()
        assert sum(e.kind == "replied" for e in events) == len(replies)
        assert {e.new_value for e in events if e.kind == "replied"} == {str(r.id) for r in replies}

        # A lost update shows as a change whose "old" value is not what the previous
        # change left: someone decided on a stale read.
        priorities = [e for e in events if e.kind == "priority"]
        assert priorities, "no priority change was recorded"
        current = Priority.MEDIUM.label
        for event in priorities:
            assert event.old_value == current
            current = event.new_value
        assert Priority(ticket.priority).label == current

        names = set(session.scalars(sa.select(User.name).where(User.email.in_(staff_emails))))
        assignments = [e for e in events if e.kind == "assigned"]
        assert assignments, "no assignment was recorded"
        current = None
        for event in assignments:
            assert event.old_value == current
            current = event.new_value
        assert ticket.assignee is not None and ticket.assignee.name == current
        assert current in names

        assert ticket.status == "answered"
        assert ticket.last_reply_at == max(r.created_at for r in replies)
    assert queue_counts_drift(app) == {}


def test_two_staff_processes_changing_one_ticket_lose_no_update(app, contested_ticket):
    url, storage = app.config["SQLALCHEMY_DATABASE_URI"], app.config["TICKETS_STORAGE_ROOT"]
    staff = ["sam@acme.test", "ada@acme.test"]
    done = _run_processes(workers.work_ticket, [(url, storage, email, contested_ticket, ROUNDS) for email in staff])
    assert sorted(done) == sorted(staff)
    _check_history(app, contested_ticket, staff, ROUNDS)


def test_two_staff_threads_of_one_app_lose_no_update(app, contested_ticket):
    staff = ["sam@acme.test", "ada@acme.test"]
    barrier = threading.Barrier(len(staff))
    errors = queue.Queue()

    def run(email):
        try:
            with app.app_context():
                workers.work_ticket_in_app(email, contested_ticket, ROUNDS, barrier)
        except BaseException as exc:  # reported below, in the test's own thread
            errors.put(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(email,)) for email in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors.empty(), errors.get()
    _check_history(app, contested_ticket, staff, ROUNDS)


def test_a_change_that_waited_for_a_move_to_another_department_finds_the_ticket(app, world, make):
    # PostgreSQL rechecks a row lock that waited against the new row, and the joined
    # department row was the old one: the lock must not lose the ticket.
    made = make.ticket()
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    tickets = Ticket.__table__
    errors = queue.Queue()

    def change():
        try:
            with app.test_request_context():
                ticket, admin = session.get(Ticket, made.id), session.get(User, world.admin_id)
                change_priority(ticket, admin, Priority.HIGH)
        except BaseException as exc:  # reported below, in the test's own thread
            errors.put(exc)

    with engine.connect() as mover:
        moving = mover.begin()
        mover.execute(sa.update(tickets).where(tickets.c.id == made.id).values(department_id=world.billing_id))
        thread = threading.Thread(target=change)
        thread.start()
        time.sleep(1)  # the change waits for the row (PostgreSQL) or the write lock (SQLite)
        moving.commit()
    thread.join(timeout=60)
    assert errors.empty(), errors.get()
    with app.app_context():
        ticket = session.get(Ticket, made.id)
        assert (ticket.priority, ticket.department_id) == (int(Priority.HIGH), world.billing_id)
