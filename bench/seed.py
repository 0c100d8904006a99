"""Seed a benchmark tenant fast: bulk inserts (executemany on SQLite, COPY on PostgreSQL).

The rows are generated in Python from a fixed random seed, so two seeds with the same
parameters hold the same data. The schema comes from the models' metadata
(``create_all``); the secondary indexes of the big tables are built after the rows
are in, which is several times faster than maintaining them row by row.
"""

import hashlib
import os
import random
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable
from werkzeug.security import generate_password_hash

from bench.serve import bench_config
from bench.sinks import BULK_TABLES, PostgresSink, SQLiteSink  # noqa: F401
from xobito_tickets import (
    create_app,
    models,  # noqa: F401  (registers the tables on the metadata)
)
from xobito_tickets.db import metadata, session
from xobito_tickets.reports.rollup import rebuild

#: Bump when the generated data or the search index's format (its filter tokens, its vocabulary)
#: changes, so old seeded databases are not reused.
SEED_VERSION = 6
#: A database whose index alone changed is seeded again alone (PostgreSQL 7: its vectors
#: gained the pairs of neighbouring words).
SEED_VERSIONS = {"sqlite": SEED_VERSION, "postgresql": 7}
TENANT_SLUG = "bench"
PASSWORD = "bench-password"
DEPARTMENTS = ["Support", "Billing", "Sales", "Technical", "Accounts"]
STAFF_COUNT = 10  # one admin and nine staff members
CUSTOMER_COUNT = 1000
THREAD_REPLIES = 50  # replies on the one long ticket
CHUNK = 20_000
#: Words the search pages look for: one ticket in 10,000 names a rare word; one in 100 has
#: a two-word phrase whose words are common on their own (both are subject words).
RARE_WORD = "kerberos"
RARE_TEXT = "The Kerberos ticket expired overnight."
PHRASE = "export timeout"
PHRASE_TEXT = "The export timeout happens again."

SUBJECT_WORDS = (
    "login invoice export password sync upload report billing account refund email api "
    "dashboard mobile printer vpn license upgrade calendar search timeout crash"
).split()
SUBJECT_SHAPES = [
    "Cannot {a} after the {b} update",
    "{a} fails with an error on {b}",
    "Question about {a} and {b}",
    "{a} is slow since yesterday",
    "Please change the {a} on my {b}",
    "How do I set up {a} for {b}?",
]
LOREM = (
    "We noticed the problem this morning when the team tried to finish the monthly work. "
    "The page shows a spinner for a long time and then a message that something went wrong. "
    "We tried another browser and cleared the cache, with the same result. "
    "Could you have a look and tell us what we should do next? "
    "Thanks for the quick answer, that helped. One more detail: it happens only for some users. "
    "I attached a screenshot and the exact time it happened so you can find it in the logs."
).split()


def schema_fingerprint():
    """Return a short hash of the schema DDL (a model change invalidates seeded databases)."""
    dialect = sa.create_engine("sqlite://").dialect
    parts = [str(CreateTable(t).compile(dialect=dialect)) for t in metadata.sorted_tables]
    indexes = sorted((i for t in metadata.sorted_tables for i in t.indexes), key=lambda i: i.name)
    parts += [str(CreateIndex(i).compile(dialect=dialect)) for i in indexes]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:10]


def seed_name(tickets, backend="sqlite"):
    """Return the name that identifies a seed of ``tickets`` tickets with this code and schema on ``backend``."""
    return f"seed-v{SEED_VERSIONS[backend]}-{tickets}-{schema_fingerprint()}"


class Plan:
    """The people, departments and special tickets of a seed (ids known before inserting)."""

    def __init__(self, tickets):
        self.tickets = tickets
        self.tenant_id = 1
        self.other_tenant_id = 2
        self.department_ids = list(range(1, len(DEPARTMENTS) + 1))
        self.admin_id = 1
        self.staff_ids = list(range(2, STAFF_COUNT + 1))
        self.customer_ids = list(range(STAFF_COUNT + 1, STAFF_COUNT + CUSTOMER_COUNT + 1))
        self.bench_customer_id = self.customer_ids[0]
        self.solo_customer_id = self.customer_ids[-1]
        self.bench_staff_id = self.staff_ids[0]
        # Department j has the staff members whose two departments include it.
        self.members = {d: [] for d in self.department_ids}
        for index, staff_id in enumerate(self.staff_ids):
            for d in (index % 5 + 1, (index + 1) % 5 + 1):
                self.members[d].append(staff_id)
        # Special tickets of the bench customer, near the top of their list.
        self.thread_number = tickets - 100  # 50 replies, 5 attachments
        self.reply_number = tickets - 200  # target of POST reply
        self.one_reply_number = tickets - 300  # exactly one reply
        self.solo_number = tickets - 400  # the solo customer's only ticket
        self.other_department_id = len(DEPARTMENTS) + 1
        self.other_user_ids = (STAFF_COUNT + CUSTOMER_COUNT + 1, STAFF_COUNT + CUSTOMER_COUNT + 2)

    def email(self, user_id):
        if user_id == self.admin_id:
            return "admin@bench.test"
        if user_id in self.staff_ids:
            return f"staff{self.staff_ids.index(user_id) + 1}@bench.test"
        return f"customer{user_id - self.customer_ids[0] + 1}@bench.test"

    def meta(self):
        """Return what the runner needs to know about the seed."""
        return {
            "tickets": self.tickets,
            "tenant": TENANT_SLUG,
            "password": PASSWORD,
            "customer_email": self.email(self.bench_customer_id),
            "solo_customer_email": self.email(self.solo_customer_id),
            "staff_email": self.email(self.bench_staff_id),
            "admin_email": self.email(self.admin_id),
            "staff_departments": [d for d, m in self.members.items() if self.bench_staff_id in m],
            "department_ids": self.department_ids,
            "thread_number": f"TKT-{self.thread_number:06d}",
            "reply_number": f"TKT-{self.reply_number:06d}",
            "one_reply_number": f"TKT-{self.one_reply_number:06d}",
            "solo_number": f"TKT-{self.solo_number:06d}",
            "rare_word": RARE_WORD,
            "phrase": PHRASE,
        }


class Rows:
    """Generate every row of the seed as tuples in the column order of ``COLUMNS``."""

    def __init__(self, plan, now, storage_files):
        self.plan = plan
        self.now = now
        self.rng = random.Random(20_240_601)
        self.storage_files = storage_files  # (storage_key, content) for the files to write
        self.subjects = [
            shape.format(a=self.rng.choice(SUBJECT_WORDS), b=self.rng.choice(SUBJECT_WORDS)).capitalize()
            for _ in range(300)
            for shape in [self.rng.choice(SUBJECT_SHAPES)]
        ]
        self.texts = [" ".join(self.rng.choices(LOREM, k=self.rng.randint(12, 70))) for _ in range(500)]
        self.reply_id = 0
        self.event_id = 0
        self.attachment_id = 0
        self.replies, self.events, self.attachments = [], [], []

    def people(self):
        plan, now = self.plan, self.now
        password_hash = generate_password_hash(PASSWORD)
        tenants = [
            (plan.tenant_id, TENANT_SLUG, "Bench Corp", True, True, now),
            (plan.other_tenant_id, "other", "Other Corp", True, True, now),
        ]
        users = [(plan.admin_id, plan.tenant_id, plan.email(plan.admin_id), "Ada Admin", "admin")]
        for n, staff_id in enumerate(plan.staff_ids, 1):
            users.append((staff_id, plan.tenant_id, plan.email(staff_id), f"Staff Member {n}", "staff"))
        for n, customer_id in enumerate(plan.customer_ids, 1):
            users.append((customer_id, plan.tenant_id, plan.email(customer_id), f"Customer {n:04d}", "customer"))
        a, b = plan.other_user_ids
        users += [
            (a, plan.other_tenant_id, "admin@other.test", "Other Admin", "admin"),
            (b, plan.other_tenant_id, "customer@other.test", "Other Customer", "customer"),
        ]
        users = [u + (True, password_hash, None, now) for u in users]
        departments = [
            (d, plan.tenant_id, name, f"Questions about {name.lower()}", True, now)
            for d, name in zip(plan.department_ids, DEPARTMENTS, strict=True)
        ]
        departments.append((plan.other_department_id, plan.other_tenant_id, "Support", "", True, now))
        members = [(d, u) for d, ids in plan.members.items() for u in ids]
        counters = [(plan.tenant_id, plan.tickets), (plan.other_tenant_id, 1000)]
        return {
            "tickets_tenants": tenants,
            "tickets_users": users,
            "tickets_departments": departments,
            "tickets_department_members": members,
            "tickets_counters": counters,
        }

    def _reply_count(self, number):
        plan = self.plan
        if number == plan.thread_number:
            return THREAD_REPLIES
        if number == plan.one_reply_number:
            return 1
        if number in (plan.reply_number, plan.solo_number):
            return 2
        return self.rng.randint(0, 6)  # about three per ticket on average

    def _requester(self, number):
        plan = self.plan
        if number in (plan.thread_number, plan.reply_number, plan.one_reply_number):
            return plan.bench_customer_id
        if number == plan.solo_number:
            return plan.solo_customer_id
        # Every customer but the solo one; the bench customer gets about tickets/1000.
        return plan.customer_ids[self.rng.randrange(CUSTOMER_COUNT - 1)]

    def tickets(self, first, last):
        """Yield the ticket rows numbered ``first``..``last`` and queue their replies and events."""
        plan, rng = self.plan, self.rng
        span = timedelta(days=3 * 365).total_seconds()
        start = self.now - timedelta(days=3 * 365, hours=1)
        out = []
        for number in range(first, last + 1):
            created = start + timedelta(
                seconds=span * number / (plan.tickets + 1), microseconds=rng.randint(1, 999_999)
            )
            department_id = rng.choice(plan.department_ids)
            if number in (plan.thread_number, plan.reply_number, plan.one_reply_number, plan.solo_number):
                department_id = plan.department_ids[0]  # a department of the bench staff member
            requester_id = self._requester(number)
            assignee_id = rng.choice(plan.members[department_id]) if rng.random() < 0.6 else None
            replies = self._reply_count(number)
            age_days = (self.now - created).days
            if number in (plan.thread_number, plan.one_reply_number, plan.reply_number, plan.solo_number):
                status = "answered" if number == plan.thread_number else "open"
            elif age_days > 14:
                status = rng.choices(("closed", "answered", "open"), (85, 10, 5))[0]
            else:
                status = rng.choices(("open", "answered", "closed"), (40, 40, 20))[0]
            priority = rng.choices((1, 2, 3, 4), (20, 50, 20, 10))[0]
            when = created
            staff_id = assignee_id or plan.members[department_id][0]
            self._event(number, requester_id, "created", None, "open", created)
            for n in range(replies):
                when = when + timedelta(minutes=rng.randint(5, 600), microseconds=rng.randint(1, 999_999))
                if when >= self.now:
                    when = self.now - timedelta(seconds=replies - n)
                author_id = staff_id if n % 2 == 0 else requester_id
                self._reply(number, author_id, when, attach=(number == plan.thread_number and n in (10, 20, 30)))
            closed_at = None
            if status == "closed":
                closed_at = when + timedelta(hours=rng.randint(1, 48))
                closed_at = min(closed_at, self.now)
                self._event(number, staff_id, "status", "answered", "closed", closed_at)
            if number == plan.thread_number:
                for n in range(2):
                    self._attachment(number, None, requester_id, created, n)
            out.append(
                (
                    number,
                    plan.tenant_id,
                    number,
                    self.subjects[number % len(self.subjects)],
                    self._body(number),
                    department_id,
                    priority,
                    status,
                    requester_id,
                    assignee_id,
                    created,
                    when,
                    closed_at,
                )
            )
        return out

    def _body(self, number):
        """Return the body of ticket ``number``: a generated text, with the search pages' words in a few."""
        body = self.texts[number % len(self.texts)]
        if number % 10_000 == 7:
            body = RARE_TEXT + " " + body
        if number % 100 == 3:
            body = body + " " + PHRASE_TEXT
        return body[:1000]

    def other_tenant_tickets(self):
        """Return the rows of the second, small tenant (so tenant scoping has work to do)."""
        plan = self.plan
        base = plan.tickets
        when = self.now - timedelta(days=10)
        return [
            (
                base + n,
                plan.other_tenant_id,
                n,
                "Other tenant ticket",
                "Body",
                plan.other_department_id,
                2,
                "open",
                plan.other_user_ids[1],
                None,
                when + timedelta(minutes=n),
                when + timedelta(minutes=n),
                None,
            )
            for n in range(1, 1001)
        ]

    def _reply(self, ticket_id, author_id, when, attach=False):
        self.reply_id += 1
        self.replies.append(
            (self.reply_id, self.plan.tenant_id, ticket_id, author_id, self.texts[self.reply_id % 500], when)
        )
        self._event(ticket_id, author_id, "replied", None, str(self.reply_id), when)
        if attach:
            self._attachment(ticket_id, self.reply_id, author_id, when, self.attachment_id)
        elif self.rng.random() < 0.01:
            self._attachment(ticket_id, self.reply_id, author_id, when, None)

    def _event(self, ticket_id, actor_id, kind, old, new, when):
        self.event_id += 1
        self.events.append((self.event_id, self.plan.tenant_id, ticket_id, actor_id, kind, old, new, when))

    def _attachment(self, ticket_id, reply_id, uploader_id, when, file_index):
        self.attachment_id += 1
        key = f"tickets/{self.plan.tenant_id}/replies/seed{self.attachment_id:09d}"
        name = f"screenshot-{self.attachment_id}.png" if file_index is not None else f"log-{self.attachment_id}.txt"
        content = b"\x89PNG\r\n\x1a\n" + bytes(2000) if name.endswith(".png") else b"log line\n" * 200
        if file_index is not None:
            self.storage_files.append((key, content))
        ctype = "image/png" if name.endswith(".png") else "text/plain"
        row = (
            self.attachment_id,
            self.plan.tenant_id,
            ticket_id,
            reply_id,
            uploader_id,
            key,
            name,
            ctype,
            len(content),
            when,
        )
        self.attachments.append(row)

    def take(self, name):
        rows = getattr(self, name)
        setattr(self, name, [])
        return rows


def seed(sink, tickets, storage_root, log=print):
    """Fill ``sink`` with a tenant of ``tickets`` tickets; return the seed's meta dict."""
    started = time.monotonic()
    plan = Plan(tickets)
    files = []
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows = Rows(plan, now, files)
    for table_name, table_rows in rows.people().items():
        sink.write(table_name, table_rows)
    sink.drop_indexes(BULK_TABLES)
    counts = dict.fromkeys(BULK_TABLES, 0)
    for first in range(1, tickets + 1, CHUNK):
        last = min(first + CHUNK - 1, tickets)
        chunk = rows.tickets(first, last)
        sink.write("tickets_tickets", chunk)
        counts["tickets_tickets"] += len(chunk)
        for name, attr in (
            ("tickets_replies", "replies"),
            ("tickets_events", "events"),
            ("tickets_attachments", "attachments"),
        ):
            batch = rows.take(attr)
            if batch:
                sink.write(name, batch)
                counts[name] += len(batch)
        if last % 200_000 == 0 or last == tickets:
            log(
                f"  seeded {last:,} tickets, {counts['tickets_replies']:,} replies ({time.monotonic() - started:.0f} s)"
            )
    sink.write("tickets_tickets", rows.other_tenant_tickets())
    log("  building indexes")
    sink.finish(BULK_TABLES)
    for key, content in files:
        path = os.path.join(storage_root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(content)
    meta = plan.meta()
    meta["counts"] = counts
    meta["seconds"] = round(time.monotonic() - started, 1)
    log(f"  seeded in {meta['seconds']} s: " + ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in counts.items()))
    return meta


def count_reports(database_url, storage_root, log=print):
    """Count the reports' rollups from the seeded tickets (as ``flask tickets rebuild-reports`` does)."""
    app = create_app(bench_config(database_url, storage_root))
    started = time.monotonic()
    with app.app_context():
        counted = rebuild()
        session.commit()
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
    log(f"  counted the reports of {counted:,} tickets in {time.monotonic() - started:.0f} s")
