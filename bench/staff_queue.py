"""Measure the staff queue on a tenant with many tickets (SQLite file).

    python -m bench.staff_queue [--tickets 100000] [--db /tmp/xt-bench.sqlite] [--rounds 20] [--plans]

Seeds the tenant with bulk inserts once (reused when the file exists), then times
requests through the test client: page 1, a filtered page, searches, a deep page
(page 500, by its cursor) for an admin and for a staff member, and prints the query
plans of the queue's statements.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xobito_tickets import create_app  # noqa: E402
from xobito_tickets.db import metadata, session  # noqa: E402
from xobito_tickets.models import LoginSession, Role, Tenant, Ticket, TicketCounter, User  # noqa: E402
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant  # noqa: E402
from xobito_tickets.tickets.listing import SORTS, TicketFilters, encode_cursor  # noqa: E402

PASSWORD = "bench-password"
DEPARTMENTS = ["Support", "Billing", "Sales", "Onboarding", "Security", "Partners"]
WORDS = (
    "login invoice export refund webhook crash upload slow password billing card plan seats "
    "report dashboard email api timeout error mobile sync calendar import permission"
).split()


def build_app(db_path):
    """Create the standalone app over the benchmark database."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + db_path,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "TICKETS_STORAGE_ROOT": "/tmp/xt-bench-storage",
            "MAIL_SUPPRESS_SEND": True,
        }
    )


def seed(app, count, customers=5000, seed_value=7):
    """Create tenant "big" with departments, staff, customers and ``count`` tickets."""
    rng = random.Random(seed_value)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        metadata.create_all(engine)
        tenant = create_tenant("big", "Big Co")
        admin = create_user(tenant, "admin@big.test", "Ada Admin", Role.ADMIN, PASSWORD)
        staff = [create_user(tenant, f"staff{i}@big.test", f"Staff Member {i}", Role.STAFF, None) for i in range(12)]
        departments = []
        for i, name in enumerate(DEPARTMENTS):
            members = [s for j, s in enumerate(staff) if j % len(DEPARTMENTS) == i]
            departments.append(create_department(tenant, name, members=members))
        staff[0].password_hash = admin.password_hash
        session.commit()
        rows = [
            {
                "tenant_id": tenant.id,
                "email": f"customer{i}@example.test",
                "name": f"{rng.choice(['Carla', 'Dan', 'Erin', 'Femi', 'Gus', 'Hana'])} Customer{i}",
                "role": "customer",
                "active": True,
                "created_at": datetime.now(UTC).replace(tzinfo=None),
            }
            for i in range(customers)
        ]
        session.execute(sa.insert(User.__table__), rows)
        customer_ids = session.scalars(
            sa.select(User.id).where(User.tenant_id == tenant.id, User.role == "customer")
        ).all()
        staff_ids = [s.id for s in staff] + [admin.id]
        start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=730)
        batch = []
        for number in range(1, count + 1):
            created = (
                start + timedelta(seconds=number * (730 * 86400 // count)) + timedelta(seconds=rng.randint(0, 600))
            )
            age = rng.random()
            status = "closed" if age < 0.7 else rng.choice(["open", "answered"])
            words = rng.sample(WORDS, 3)
            batch.append(
                {
                    "tenant_id": tenant.id,
                    "number": number,
                    "subject": f"{words[0].capitalize()} {words[1]} problem with {words[2]} #{rng.randint(1, 9999)}",
                    "body": "Something is wrong.",
                    "department_id": rng.choice(departments).id,
                    "priority": rng.choices([1, 2, 3, 4], weights=[3, 5, 2, 1])[0],
                    "status": status,
                    "requester_id": rng.choice(customer_ids),
                    "assignee_id": rng.choice(staff_ids) if rng.random() < 0.6 else None,
                    "created_at": created,
                    "last_reply_at": created + timedelta(hours=rng.randint(0, 72)),
                    "closed_at": created + timedelta(days=3) if status == "closed" else None,
                }
            )
            if len(batch) == 5000:
                session.execute(sa.insert(Ticket.__table__), batch)
                batch = []
        if batch:
            session.execute(sa.insert(Ticket.__table__), batch)
        session.execute(sa.update(TicketCounter).where(TicketCounter.tenant_id == tenant.id).values(last_number=count))
        session.commit()


def login_cookie(client, user_id):
    """Log ``user_id`` in through a server-side session record (no password hashing in the loop)."""
    sid = f"bench-{user_id}"
    if session.get(LoginSession, sid) is None:
        session.add(LoginSession(id=sid, user_id=user_id))
        session.commit()
    with client.session_transaction() as sess:
        sess["tickets_sid"] = sid
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True


def time_get(client, url, rounds):
    """Return the median wall time, worst wall time and median CPU time of GET ``url`` (ms).

    CPU time (this process: Flask, SQLAlchemy and SQLite all run in it) barely moves
    when other processes load the machine; wall time does.
    """
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    walls, cpus = [], []
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpus.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200
    return statistics.median(walls), max(walls), statistics.median(cpus), response


def deep_cursor(user_visibility, filters, page, per_page, user):
    """Return the cursor that opens page ``page`` (the last row of page ``page - 1``)."""
    columns = SORTS[filters.sort]
    row = session.scalar(
        sa.select(Ticket)
        .where(user_visibility, *filters.conditions(user))
        .order_by(*[c.desc() for c in columns])
        .offset((page - 1) * per_page - 1)
        .limit(1)
    )
    return encode_cursor(row, filters.sort)


def explain(statement):
    """Return SQLite's query plan of ``statement`` as text."""
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = session.execute(sa.text("EXPLAIN QUERY PLAN " + str(compiled))).all()
    return "\n".join("    " + row[-1] for row in rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/xt-bench.sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--fresh", action="store_true", help="delete and reseed the database")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN of the queue queries")
    args = parser.parse_args()
    if args.fresh and os.path.exists(args.db):
        os.remove(args.db)
    app = build_app(args.db)
    if not os.path.exists(args.db) or os.path.getsize(args.db) == 0:
        t0 = time.perf_counter()
        seed(app, args.tickets)
        print(f"seeded {args.tickets} tickets in {time.perf_counter() - t0:.1f}s")
    client = app.test_client()
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "big"))
        admin = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == "admin@big.test"))
        staff = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == "staff0@big.test"))
        total = session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.tenant_id == tenant.id))
        version = session.get_bind().dialect.dbapi.sqlite_version
        print(f"tenant 'big': {total} tickets, SQLite {version}")
        from xobito_tickets.tickets.access import visible_tickets_clause

        cases = []
        for who in (admin, staff):
            vis = visible_tickets_clause(who)
            cursor = deep_cursor(vis, TicketFilters(), 500, 25, who)
            prio_cursor = deep_cursor(vis, TicketFilters(sort="priority"), 500, 25, who)
            # A ticket far down this person's queue, and one of their departments.
            number = session.scalar(
                sa.select(Ticket.number).where(vis).order_by(Ticket.last_reply_at.desc(), Ticket.id.desc()).offset(9000)
            )
            department = who.departments[0].id if who.departments else 2
            customer = session.scalar(
                sa.select(User.email).join(Ticket, Ticket.requester_id == User.id).where(vis).offset(500).limit(1)
            )
            cases.append((who, cursor, prio_cursor, number, department, customer))
    base = "/big/admin/tickets"
    for who, cursor, prio_cursor, number, department, customer in cases:
        with app.app_context():
            login_cookie(client, who.id)
        print(f"\n== {who.name} ({who.role}) ==")
        for label, url in [
            ("page 1 (activity)", base),
            ("page 500 (activity, by cursor)", f"{base}?after={cursor}"),
            ("page 1 (priority sort)", f"{base}?sort=priority"),
            ("page 500 (priority sort)", f"{base}?sort=priority&after={prio_cursor}"),
            ("filter status=open", f"{base}?status=open"),
            (
                "filter status=open+answered, priority=urgent+high",
                f"{base}?status=open&status=answered&priority=urgent&priority=high",
            ),
            ("filter department + assignee=none", f"{base}?department={department}&assignee=none"),
            (f"search TKT-{number:06d}", f"{base}?q=TKT-{number:06d}"),
            (f"search {number:06d}", f"{base}?q={number:06d}"),
            (f"search {number}", f"{base}?q={number}"),
            ("search word 'refund'", f"{base}?q=refund"),
            ("search two words 'refund webhook'", f"{base}?q=refund+webhook"),
            ("search a word nobody used", f"{base}?q=zebra"),
            (f"search customer {customer}", f"{base}?q={customer}"),
        ]:
            median, worst, cpu, response = time_get(client, url, args.rounds)
            rows = response.get_data(as_text=True).count('class="xt-queue-row')
            print(f"  {label:<50} wall median {median:6.1f} ms  max {worst:6.1f} ms  cpu {cpu:6.1f} ms  rows {rows}")
    if args.plans:
        print_plans(app, cases)


def print_plans(app, cases):
    """Print the query plans of the queue's list (first and deep page) and count statements."""
    from xobito_tickets.tickets.access import visible_tickets_clause
    from xobito_tickets.tickets.listing import decode_cursor

    with app.app_context():
        for who, cursor, prio_cursor, *_ in cases:
            who = session.get(User, who.id)
            vis = visible_tickets_clause(who)
            for label, filters, after in [
                ("activity, page 1", TicketFilters(), None),
                ("activity, page 500", TicketFilters(), cursor),
                ("priority, page 500", TicketFilters(sort="priority"), prio_cursor),
                ("status open+answered", TicketFilters(statuses=["open", "answered"]), None),
                ("search 'refund'", TicketFilters(q="refund"), None),
                ("search '54321'", TicketFilters(q="54321"), None),
            ]:
                columns = SORTS[filters.sort]
                stmt = sa.select(Ticket.id).where(vis, *filters.conditions(who))
                if after:
                    stmt = stmt.where(sa.tuple_(*columns) < sa.tuple_(*decode_cursor(after, filters.sort)))
                stmt = stmt.order_by(*[c.desc() for c in columns]).limit(26)
                print(f"\n[{who.role}] list, {label}:\n{explain(stmt)}")


if __name__ == "__main__":
    main()
