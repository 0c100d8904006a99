"""Webhook delivery throughput: how many signed deliveries one worker pass sends per second.

    python bench/webhooks.py [--deliveries 2000] [--endpoints 1 4] [--postgres URL]

A real HTTP receiver on loopback answers 200 (checking nothing, so the worker is what is
measured); the deliveries are the real ones a ticket change writes (``ticket.replied`` with the
staff view of a ticket and its reply), copied N times. One ``deliver_due()`` pass (the job of
``flask tickets worker``) sends them all: one lane per endpoint, endpoints in parallel.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_DIR))

import sqlalchemy as sa  # noqa: E402

from xobito_tickets import create_app  # noqa: E402
from xobito_tickets.db import metadata, session  # noqa: E402
from xobito_tickets.models import Role  # noqa: E402
from xobito_tickets.team.services import create_department, create_user  # noqa: E402
from xobito_tickets.tenancy.workspaces import create_tenant  # noqa: E402
from xobito_tickets.tickets.services import open_ticket, post_reply  # noqa: E402
from xobito_tickets.webhooks.models import WebhookDelivery  # noqa: E402
from xobito_tickets.webhooks.services import create_endpoint  # noqa: E402
from xobito_tickets.webhooks.worker import deliver_due  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.count += 1
        # One write: headers and body in separate small packets would wait on Nagle and
        # delayed ACKs (40 ms), and the bench would measure that instead of the worker.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def log_message(self, *args):
        pass


def run(deliveries, endpoints, database_url):
    """Return (seconds, deliveries sent, body bytes) of one pass over ``deliveries`` × ``endpoints``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    storage = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TICKETS_STORAGE_ROOT": storage,
            "TICKETS_WEBHOOK_ALLOW_PRIVATE": True,
            "TICKETS_NOTIFICATIONS": False,
            "TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        metadata.drop_all(engine)
        metadata.create_all(engine)
        tenant = create_tenant("bench", "Bench")
        customer = create_user(tenant, "c@bench.test", "Customer", Role.CUSTOMER, "password1")
        staff = create_user(tenant, "s@bench.test", "Staff Member", Role.STAFF, "password1")
        department = create_department(tenant, "Support", members=[staff])
        for i in range(endpoints):
            create_endpoint(tenant, f"http://127.0.0.1:{server.server_port}/hook/{i}", ["ticket.replied"])
        ticket = open_ticket(tenant, customer, department, "Printer on fire", "It is on fire. " * 20)
        post_reply(ticket, staff, "We are on our way with an extinguisher. " * 10)
        # The rows that reply wrote (one per endpoint), copied to N events each.
        originals = session.scalars(sa.select(WebhookDelivery)).all()
        rows = []
        for original in originals:
            for _ in range(deliveries - 1):
                rows.append(
                    dict(
                        tenant_id=original.tenant_id,
                        endpoint_id=original.endpoint_id,
                        uid=str(uuid.uuid4()),
                        event_id=str(uuid.uuid4()),
                        event=original.event,
                        ticket_number=original.ticket_number,
                        body=original.body,
                        status="pending",
                        attempts=0,
                        next_attempt_at=original.next_attempt_at,
                        created_at=original.created_at,
                    )
                )
        session.execute(sa.insert(WebhookDelivery), rows)
        session.commit()
        size = len(originals[0].body.encode())
        Receiver.count = 0
        started = time.perf_counter()
        stats = deliver_due()
        seconds = time.perf_counter() - started
        assert stats.delivered == deliveries * endpoints == Receiver.count, (stats, Receiver.count)
        engine.dispose()
    server.shutdown()
    return seconds, stats.delivered, size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000, help="deliveries per endpoint")
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database URL (default: a SQLite file)")
    args = parser.parse_args(argv)
    for endpoints in args.endpoints:
        url = args.postgres or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "webhooks.sqlite")
        seconds, sent, size = run(args.deliveries, endpoints, url)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"{backend}: {sent} deliveries of {size:,} bytes to {endpoints} endpoint(s) in {seconds:.2f} s: "
            f"{sent / seconds:.0f} deliveries/s"
        )


if __name__ == "__main__":
    main()
