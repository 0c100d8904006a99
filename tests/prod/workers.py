"""Code that runs in worker processes (and threads) of the concurrency tests.

Each worker builds its own app over the test's database, as a gunicorn worker would,
waits at a barrier so that all start together, then acts through the services.
"""

import functools
import traceback

import sqlalchemy as sa

from xobito_tickets import create_app
from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, User
from xobito_tickets.tickets.services import assign_ticket, change_priority, open_ticket, post_reply


def make_app(database_url, storage_root):
    """Build an app like a production worker's, on the given database."""
    return create_app(
        {
            "TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "TESTING": True,
            "SECRET_KEY": "worker",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TICKETS_STORAGE_ROOT": storage_root,
            "MAIL_SUPPRESS_SEND": True,
        }
    )


def reporting(func):
    """Put ``("ok", result)`` or ``("error", traceback)`` on the last argument, a queue."""

    @functools.wraps(func)
    def wrapper(*args):
        *args, results = args
        try:
            results.put(("ok", func(*args)))
        except BaseException:
            results.put(("error", traceback.format_exc()))
            raise

    return wrapper


def _one(model, *conditions):
    return session.scalars(sa.select(model).where(*conditions)).one()


def _first(model, *conditions):
    return session.scalars(sa.select(model).where(*conditions).order_by(model.id).limit(1)).one()


@reporting
def create_tickets(database_url, storage_root, barrier, slugs, count):
    """Open ``count`` tickets, cycling over the tenants ``slugs``; return (slug, number) pairs in order."""
    app = make_app(database_url, storage_root)
    taken = []
    with app.app_context():
        barrier.wait(timeout=60)
        for i in range(count):
            slug = slugs[i % len(slugs)]
            tenant = _one(Tenant, Tenant.slug == slug)
            customer = _first(User, User.tenant_id == tenant.id, User.role == "customer")
            department = _first(Department, Department.tenant_id == tenant.id, Department.active.is_(True))
            ticket = open_ticket(tenant, customer, department, f"Load {i}", "Made by a worker process.")
            taken.append((slug, ticket.number))
    return taken


#: Priorities each staff member sets in turn; different for the two, so that most
#: of their changes really change something.
PRIORITY_PLANS = {
    "sam@acme.test": (Priority.HIGH, Priority.LOW),
    "ada@acme.test": (Priority.URGENT, Priority.MEDIUM),
}


@reporting
def work_ticket(database_url, storage_root, barrier, email, number, rounds):
    """As staff member ``email``: reply to, re-prioritise and take ticket ``number``, ``rounds`` times."""
    app = make_app(database_url, storage_root)
    with app.app_context():
        work_ticket_in_app(email, number, rounds, barrier)
    return email


def work_ticket_in_app(email, number, rounds, barrier):
    """The body of :func:`work_ticket`, inside an app context (also used from threads)."""
    plan = PRIORITY_PLANS[email]
    barrier.wait(timeout=60)
    for i in range(rounds):
        actor = _one(User, User.email == email)
        ticket = _one(Ticket, Ticket.tenant_id == actor.tenant_id, Ticket.number == number)
        post_reply(ticket, actor, f"Reply {i} from {email}")
        ticket = _one(Ticket, Ticket.tenant_id == actor.tenant_id, Ticket.number == number)
        change_priority(ticket, actor, plan[i % len(plan)])
        ticket = _one(Ticket, Ticket.tenant_id == actor.tenant_id, Ticket.number == number)
        assign_ticket(ticket, actor, ticket.department, actor)
    session.remove()
