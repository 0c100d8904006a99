"""A query budget: each page runs the same few SQL statements whether it shows 1 row or 100.

Two people of one tenant, each with their own data: Carla has 1 ticket whose thread
has 1 reply and 1 attachment, Oscar has 100 tickets and a thread of 100 replies with
100 attachments. Bea (staff, Billing) sees Carla's ticket; Sam (staff, Support) sees
Oscar's 100. The same page for both must cost the same number of statements, at
most BUDGET. An N+1 (a query per row) shows as a difference.
"""

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Reply, Ticket, TicketCounter, TicketEvent, utcnow
from xobito_tickets.search.schema import TERM_TABLE
from xobito_tickets.tickets import counts as queuecounts
from xobito_tickets.tickets.listing import encode_cursor

from ..conftest import PASSWORD
from .conftest import QueryCounter

#: Statements per page view.
BUDGET = 8
#: Statements per ticket creation or reply, with files. The Part 1 path was 9 (the tenant
#: with the login, the row it changes read by the view and again under its lock or the
#: ticket counter, one INSERT each for the row, its files and its history, the recipients,
#: one INSERT for all their outbox rows, one for the queue counts). Part 2 added the
#: posting limit's INSERT … SELECT, the Message-IDs of the emails (inbound matching), the
#: search index write (and, for a ticket seeded around the services as here, its first
#: indexing: two more) and the report rollups. None of it grows with tickets, replies,
#: files or recipients. The exact counts of the common writes are in WRITE_STATEMENTS.
WRITE_BUDGET = 16
#: The staff ticket view: the login, the ticket, its messages, their files, the history, the
#: side lists (tags, rating, emails received: one UNION), the department and staff choices,
#: the canned replies with the CCs (one UNION).
TICKET_VIEW_BUDGET = 8
MANY = 100

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def _seed_tickets(world, requester_id, department_id, count, first_number):
    """Add ``count`` tickets; the first one gets ``count`` replies, each with an attachment."""
    start = utcnow() - timedelta(days=1)
    tickets = [
        Ticket(
            tenant_id=world.acme_id,
            number=first_number + i,
            subject=f"Ticket {i}",
            body="Something is wrong.",
            department_id=department_id,
            priority=1 + i % 4,
            status="open",
            requester_id=requester_id,
            created_at=start + timedelta(seconds=i),
            last_reply_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]
    session.add_all(tickets)
    session.flush()
    thread = tickets[0]
    staff_id = world.staff_id if department_id == world.support_id else world.billing_staff_id
    authors = [requester_id, staff_id, world.admin_id]
    replies = [
        Reply(
            tenant_id=world.acme_id,
            ticket_id=thread.id,
            author_id=authors[i % 3],
            body=f"Reply number {i}",
            created_at=start + timedelta(minutes=1, seconds=i),
        )
        for i in range(count)
    ]
    session.add_all(replies)
    session.flush()
    files = [(None, requester_id)] + [(reply.id, reply.author_id) for reply in replies]
    for i, (reply_id, uploader_id) in enumerate(files):
        session.add(
            Attachment(
                tenant_id=world.acme_id,
                ticket_id=thread.id,
                reply_id=reply_id,
                uploader_id=uploader_id,
                storage_key=f"tickets/{world.acme_id}/replies/seed-{thread.id}-{i}",
                filename=f"file-{i}.png",
                content_type="image/png",
                size=len(PNG),
            )
        )
    session.add(TicketEvent(tenant_id=world.acme_id, ticket_id=thread.id, actor_id=requester_id, kind="created"))
    for reply in replies:
        session.add(
            TicketEvent(
                tenant_id=world.acme_id,
                ticket_id=thread.id,
                actor_id=reply.author_id,
                kind="replied",
                new_value=str(reply.id),
            )
        )
    return thread.display_number


@pytest.fixture
def seeded(app, world):
    """Seed the data; return the two threads' numbers: (small, large)."""
    with app.app_context():
        small = _seed_tickets(world, world.customer_id, world.billing_id, 1, 1)
        large = _seed_tickets(world, world.other_customer_id, world.support_id, MANY, 2)
        session.get(TicketCounter, world.acme_id).last_number = MANY + 1
        # Written around the services, so the queue's counts are recounted.
        queuecounts.rebuild(world.acme_id)
        session.commit()
    return small, large


def _logged_in(app, email):
    client = app.test_client()
    response = client.post("/acme/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _count(app, client, method, path, expected_status, warm_up=True, **kwargs):
    """Return the statements of one request (after an identical warm-up request for GETs)."""
    if warm_up:
        client.open(path, method=method, **kwargs)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    with QueryCounter(engine) as counter:
        response = client.open(path, method=method, **kwargs)
    assert response.status_code == expected_status, response.get_data(as_text=True)[:2000]
    return counter.statements


def _assert_budget(small, large, budget=BUDGET):
    listing = "\n".join(f"  {' '.join(s.split())[:160]}" for s in large)
    assert len(small) == len(large), f"{len(small)} statements for 1 row, {len(large)} for {MANY}:\n{listing}"
    assert len(large) <= budget, f"{len(large)} statements, budget {budget}:\n{listing}"


CUSTOMER_PAGES = {
    "list": ("GET", "/acme/tickets", None),
    "view": ("GET", "/acme/tickets/{ticket}", None),
    "create form": ("GET", "/acme/tickets/create", None),
}


@pytest.mark.parametrize("page", list(CUSTOMER_PAGES))
def test_customer_page_costs_the_same_for_1_and_100_rows(app, seeded, page):
    method, path, _ = CUSTOMER_PAGES[page]
    counts = []
    for email, number in zip(("carla@acme.test", "oscar@acme.test"), seeded, strict=True):
        client = _logged_in(app, email)
        counts.append(_count(app, client, method, path.format(ticket=number), 200))
    _assert_budget(*counts)


def _files(count):
    return [(io.BytesIO(PNG), f"shot-{i}.png") for i in range(count)]


def test_creating_a_ticket_costs_the_same_with_1_or_100_tickets_and_1_or_5_files(app, world, seeded):
    counts = []
    for email, files in (("carla@acme.test", 1), ("oscar@acme.test", 5)):
        client = _logged_in(app, email)
        data = {
            "subject": "Another one",
            "department": world.support_id,
            "priority": "low",
            "body": "More trouble.",
            "attachments": _files(files),
        }
        counts.append(
            _count(
                app,
                client,
                "POST",
                "/acme/tickets/store",
                303,
                warm_up=False,
                data=data,
                content_type="multipart/form-data",
            )
        )
    _assert_budget(*counts, budget=WRITE_BUDGET)


def test_replying_costs_the_same_on_a_thread_of_1_or_100_replies_with_1_or_5_files(app, seeded):
    counts = []
    for (email, files), number in zip((("carla@acme.test", 1), ("oscar@acme.test", 5)), seeded, strict=True):
        client = _logged_in(app, email)
        data = {"body": "Any news on this?", "attachments": _files(files)}
        counts.append(
            _count(
                app,
                client,
                "POST",
                f"/acme/tickets/{number}/reply",
                303,
                warm_up=False,
                data=data,
                content_type="multipart/form-data",
            )
        )
    _assert_budget(*counts, budget=WRITE_BUDGET)


STAFF_PAGES = {
    "queue": "/acme/admin/tickets",
    "queue filtered": "/acme/admin/tickets?status=open&status=answered&priority=low&priority=high"
    "&department={department}",
    "queue searched by number": "/acme/admin/tickets?q={ticket}",
    "queue, next page": "/acme/admin/tickets?sort=priority&after={cursor}",
    "ticket view": "/acme/admin/tickets/{ticket}",
}


@pytest.mark.parametrize("page", list(STAFF_PAGES))
def test_staff_page_costs_the_same_for_1_and_100_rows(app, world, seeded, page):
    counts = []
    # Bea (Billing) sees Carla's single ticket; Sam (Support) sees Oscar's hundred.
    with app.app_context():
        departments = (world.billing_id, world.support_id)
        # A cursor into the priority order: after the newest ticket of priority 2.
        cursor = encode_cursor(SimpleNamespace(priority=2, last_reply_at=utcnow(), id=MANY * 10), "priority")
    for email, number, department in zip(("bea@acme.test", "sam@acme.test"), seeded, departments, strict=True):
        client = _logged_in(app, email)
        path = STAFF_PAGES[page].format(ticket=number, department=department, cursor=cursor)
        counts.append(_count(app, client, "GET", path, 200))
    _assert_budget(*counts, budget=TICKET_VIEW_BUDGET if page == "ticket view" else BUDGET)


def test_the_seed_is_what_the_budget_claims(app, seeded):
    with app.app_context():
        small, large = (session.scalars(sa.select(Ticket).where(Ticket.number == int(n[4:]))).one() for n in seeded)
        assert len(small.replies) == 1 and len(large.replies) == MANY
        count = sa.select(sa.func.count()).select_from(Attachment)
        assert session.scalar(count.where(Attachment.ticket_id == large.id)) == MANY + 1
        assert session.scalar(sa.select(sa.func.count()).where(Ticket.requester_id == large.requester_id)) == MANY


#: Statements of the common writes through their pages, on a ticket made through the
#: services, for a workspace without webhook endpoints (most have none: the lock or the
#: ticket counter's UPDATE says so, and no change queries them).
WRITE_STATEMENTS = {
    # tenant+login, the form's departments, posting limit, counter (+ webhook check),
    # ticket, history, staff to notify, Message-IDs, outbox, search document, report
    # counts, report fact, queue counts.
    "create": 13,
    # tenant+login, the ticket (view), posting limit, the ticket under its lock (with its
    # department, requester and assignee), reply, ticket UPDATE, history (one INSERT for
    # all lines), staff to notify, Message-IDs, outbox, search document.
    "customer reply": 11,
    # The same, with the CC addresses instead of the staff (the requester came with the
    # lock); the first staff reply also stamps the first response (SLA) and counts it in
    # the reports (fact read, counts, durations, fact written) and the queue counts.
    "staff reply": 11,
    "first staff reply": 17,
}


def test_the_common_writes_cost_their_statements(app, world, make):
    made = make.ticket()
    make.reply(made.number, world.customer_id, body="Still broken.")
    carla = _logged_in(app, "carla@acme.test")
    sam = _logged_in(app, "sam@acme.test")
    form = {"subject": "Another one", "department": world.support_id, "priority": "low", "body": "More trouble."}
    reply_path = f"/acme/tickets/{made.number}/reply"
    staff_path = f"/acme/admin/tickets/{made.number}/reply"
    counted = {
        "create": _count(app, carla, "POST", "/acme/tickets/store", 303, warm_up=False, data=form),
        "customer reply": _count(app, carla, "POST", reply_path, 303, warm_up=False, data={"body": "Any news?"}),
        "first staff reply": _count(app, sam, "POST", staff_path, 303, warm_up=False, data={"body": "Looking."}),
        "staff reply": _count(app, sam, "POST", staff_path, 303, warm_up=False, data={"body": "Found it."}),
    }
    for write, statements in counted.items():
        listing = "\n".join(f"  {' '.join(s.split())[:160]}" for s in statements)
        # SQLite: a message with words the process has not seen committed also writes them
        # to the search vocabulary (one INSERT; see search.terms), never more than that.
        vocabulary = [s for s in statements if s.startswith(f"INSERT OR IGNORE INTO {TERM_TABLE}")]
        assert len(vocabulary) <= 1, listing
        budget = WRITE_STATEMENTS[write] + len(vocabulary)
        assert len(statements) <= budget, f"{write}: {len(statements)} statements, budget {budget}:\n{listing}"
    on_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert any(TERM_TABLE in s for s in counted["create"]) == on_sqlite
    # The same words again: known to the process, nothing more is written.
    again = _count(app, carla, "POST", "/acme/tickets/store", 303, warm_up=False, data=form)
    assert not any(TERM_TABLE in s for s in again) and len(again) <= WRITE_STATEMENTS["create"]
