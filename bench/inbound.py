"""Measure inbound email: messages per second through the stdin door and through IMAP (dovecot).

    python -m bench.inbound                          # SQLite file
    python -m bench.inbound --database-url postgresql+psycopg://…/db --messages 200

Wall-clock rates depend on the machine's load; the in-process line also gives the CPU
time per message, which does not. The messages are half new tickets (from 20 known customers) and half replies to them
by subject tag, each with its own Message-ID. The stdin door is measured as an MTA
runs it: one ``flask --app wsgi tickets receive-mail`` process per message, one after
another (so its number is mostly Python start-up), and also in-process (``ingest``
called in a loop: the cost of the ingest itself). The IMAP door appends the messages
to a private dovecot and times one ``fetch_all`` pass (TLS, fetch, ingest, flag).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

import sqlalchemy as sa

from tests.inbound.imapserver import DovecotServer
from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.inbound.imap import fetch_all
from xobito_tickets.inbound.ingest import ingest
from xobito_tickets.inbound.settings import get_settings
from xobito_tickets.models import Role, Tenant, Ticket
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def messages(count, tag):
    """Return ``count`` raw messages: new tickets, then replies to them by subject tag."""
    out = []
    for i in range(count):
        message = EmailMessage()
        customer = i % 20
        message["From"] = f"Customer {customer} <c{customer}@bench.test>"
        message["To"] = "acme@inbound.bench"
        message["Message-ID"] = f"<{tag}-{i}@client.bench>"
        if i < count // 2:
            message["Subject"] = f"Problem {i}"
            message.set_content(f"Something is broken, case {i}.\n\n-- \nCustomer {customer}\n")
        else:
            number = i - count // 2 + 1
            message["Subject"] = f"Re: [TKT-{number:06d}] Problem"
            message.set_content(f"More details for case {number}.\n\nOn Monday, Helpdesk wrote:\n> earlier text\n")
        out.append(message.as_bytes())
    return out


def fresh_app(url, storage):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TICKETS_BASE_URL": "http://bench.test",
            "TICKETS_STORAGE_ROOT": storage,
            "TICKETS_INBOUND_DOMAIN": "inbound.bench",
            "TICKETS_INBOUND_MAX_NEW_PER_HOUR": 0,
            "TICKETS_NOTIFICATIONS": True,
        }
    )
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        metadata.drop_all(engine)
        metadata.create_all(engine)
        tenant = create_tenant("acme", "Acme")
        staff = create_user(tenant, "staff@bench.test", "Staff", Role.STAFF, None)
        create_department(tenant, "Support", members=[staff])
        for i in range(20):
            create_user(tenant, f"c{i}@bench.test", f"Customer {i}", Role.CUSTOMER, None)
        session.remove()
    return app


def tickets_made(app):
    with app.app_context():
        return session.scalar(sa.select(sa.func.count(Ticket.id)))


def bench_in_process(url, storage, count):
    app = fresh_app(url, storage)
    raws = messages(count, "inproc")
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant))
        started, cpu = time.perf_counter(), time.process_time()
        for raw in raws:
            ingest(tenant, raw, "bench")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert tickets_made(app) == count // 2
    return count / elapsed, 1000 * cpu / count


def bench_stdin(url, storage, count):
    app = fresh_app(url, storage)
    raws = messages(count, "stdin")
    env = dict(os.environ)
    env.update(
        FLASK_SQLALCHEMY_DATABASE_URI=url,
        FLASK_SECRET_KEY="bench",
        FLASK_TICKETS_STORAGE_ROOT=storage,
        FLASK_TICKETS_INBOUND_DOMAIN="inbound.bench",
        FLASK_TICKETS_INBOUND_MAX_NEW_PER_HOUR="0",
        PYTHONPATH=ROOT,
    )
    started = time.perf_counter()
    for raw in raws:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "tickets", "receive-mail", "--tenant", "acme"],
            input=raw,
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    elapsed = time.perf_counter() - started
    assert tickets_made(app) == count // 2
    return count / elapsed


def bench_imap(url, storage, count):
    app = fresh_app(url, storage)
    raws = messages(count, "imap")
    with tempfile.TemporaryDirectory() as root:
        server = DovecotServer(root).start()
        try:
            client = server.connect()
            for raw in raws:
                client.append("INBOX", None, None, raw)
            client.logout()
            app.config["TICKETS_INBOUND_IMAP_CAFILE"] = server.cafile
            with app.app_context():
                settings = get_settings(session.scalar(sa.select(Tenant)), create=True)
                settings.imap_host, settings.imap_port = server.host, server.port
                settings.imap_user, settings.imap_password = server.user, server.password
                session.commit()
                started = time.perf_counter()
                handled = 0
                while handled < count:
                    stats = fetch_all()
                    assert not stats.errors, stats.errors
                    handled += stats.handled
                elapsed = time.perf_counter() - started
        finally:
            server.stop()
    assert tickets_made(app) == count // 2
    return count / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--stdin-messages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = args.database_url or "sqlite:///" + os.path.join(work, "bench.sqlite")
        storage = os.path.join(work, "storage")
        print(f"database: {sa.make_url(url).get_backend_name()}")
        rate, cpu_ms = bench_in_process(url, storage, args.messages)
        print(f"ingest in process: {rate:.1f} messages/s ({cpu_ms:.0f} ms of CPU per message in this process)")
        print(f"stdin door (one process per message): {bench_stdin(url, storage, args.stdin_messages):.2f} messages/s")
        print(f"IMAP door (one pass, TLS): {bench_imap(url, storage, args.messages):.1f} messages/s")


if __name__ == "__main__":
    main()
