"""Measure the outbox worker: emails per second to a local SMTP server, and a 10,000-email queue.

    python -m bench.mail_outbox                      # SQLite file, 10,000 emails, 1 and 2 workers
    python -m bench.mail_outbox --emails 2000 --workers 1 --batch-size 20 --batch-size 100
    python -m bench.mail_outbox --database-url postgresql+psycopg://…/db

The queue is filled with copies of the three real emails one new ticket makes
(staff notice, staff notice, customer receipt), each with its own Message-ID. The
workers are real ``flask --app wsgi tickets send-mail --once`` processes; the SMTP
server is aiosmtpd on loopback, in this process, accepting everything. Reported:
wall time (process start to exit), drain time (first to last ``sent_at``), emails
per second over the drain, and the workers' peak RSS. Every email must arrive once.
"""

import argparse
import collections
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.models import OutboxEmail, Role, Ticket
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant
from xobito_tickets.tickets.services import open_ticket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Counter:
    """aiosmtpd handler that only counts Message-IDs."""

    def __init__(self):
        self.ids = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session_, envelope):
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids[line.split(b":", 1)[1].strip()] += 1
                break
        return "250 OK"


def fill_queue(url, count):
    """Create the schema, one real ticket, and ``count`` queued emails copied from its three."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TICKETS_BASE_URL": "http://bench.test"})
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        metadata.drop_all(engine)
        metadata.create_all(engine)
        tenant = create_tenant("bench", "Bench Inc")
        carla = create_user(tenant, "carla@bench.test", "Carla Customer", Role.CUSTOMER)
        sam = create_user(tenant, "sam@bench.test", "Sam Support", Role.STAFF)
        create_user(tenant, "ada@bench.test", "Ada Admin", Role.ADMIN)
        support = create_department(tenant, "Support", "Help", members=[sam])
        open_ticket(tenant, carla, support, "Printer on fire", "It started smoking at 9.\n" * 10)
        ticket_id = session.scalar(sa.select(Ticket.id))
        templates = session.scalars(sa.select(OutboxEmail)).all()
        columns = [
            "tenant_id",
            "ticket_id",
            "kind",
            "recipient_email",
            "recipient_name",
            "subject",
            "payload",
            "thread_id",
        ]
        rows = [{c: getattr(t, c) for c in columns} for t in templates]
        session.execute(sa.delete(OutboxEmail))
        session.commit()
        batch = []
        for i in range(count):
            row = dict(rows[i % len(rows)])
            row.update(message_id=f"<{uuid.uuid4().hex}@bench.test>", status="pending", attempts=0, ticket_id=ticket_id)
            batch.append(row)
            if len(batch) == 5000:
                session.execute(sa.insert(OutboxEmail), batch)
                batch = []
        if batch:
            session.execute(sa.insert(OutboxEmail), batch)
        session.commit()
        engine.dispose()
    return app


def run_workers(url, smtp_port, workers, batch_size):
    """Run ``workers`` send-mail --once processes at once; return (wall s, peak RSS MiB, worker CPU s)."""
    env = dict(os.environ)
    env.update(
        FLASK_SQLALCHEMY_DATABASE_URI=url,
        FLASK_SECRET_KEY="bench",
        FLASK_MAIL_SERVER="127.0.0.1",
        FLASK_MAIL_PORT=str(smtp_port),
        FLASK_MAIL_SUPPRESS_SEND="false",
        FLASK_MAIL_DEFAULT_SENDER="helpdesk@bench.test",
        FLASK_TICKETS_BASE_URL="http://bench.test",
        PYTHONPATH=ROOT,
    )
    script = (
        "import resource, sys, runpy\n"
        "sys.argv = ['flask', '--app', 'wsgi', 'tickets', 'send-mail', '--once', '--batch-size', sys.argv[1]]\n"
        "try:\n    runpy.run_module('flask', run_name='__main__')\n"
        "finally:\n"
        "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    print('usage', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n"
    )
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(batch_size)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    peak = cpu = 0
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"worker failed:\n{out}\n{err}")
        for line in err.splitlines():
            if line.startswith("usage"):
                peak = max(peak, int(line.split()[1]))
                cpu += float(line.split()[2])
    return time.monotonic() - start, peak / 1024, cpu


def smtp_ceiling(port, count=2000):
    """Return emails per second of plain smtplib sending one prebuilt message over one connection."""
    import smtplib

    message = (
        b"From: a@bench.test\r\nTo: b@bench.test\r\nSubject: ceiling\r\n"
        + f"Message-ID: <{uuid.uuid4().hex}@bench.test>\r\n\r\n".encode()
        + (b"x" * 75 + b"\r\n") * 40
        + b"\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port) as client:
        start = time.monotonic()
        for _ in range(count):
            client.sendmail("a@bench.test", ["b@bench.test"], message)
        return count / (time.monotonic() - start)


def drain_stats(app):
    with app.app_context():
        first, last, sent, total = session.execute(
            sa.select(
                sa.func.min(OutboxEmail.sent_at),
                sa.func.max(OutboxEmail.sent_at),
                sa.func.count().filter(OutboxEmail.status == "sent"),
                sa.func.count(),
            )
        ).one()
        app.extensions["sqlalchemy"].engine.dispose()
    return (last - first).total_seconds() if first and last else 0.0, sent, total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, action="append", help="worker processes (repeatable)")
    parser.add_argument("--batch-size", type=int, action="append", help="rows claimed at a time (repeatable)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    workers_list = args.workers or [1, 2]
    batch_sizes = args.batch_size or [20]

    handler = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = tempfile.mkdtemp(prefix="xt-mailbench-")
    print(f"SMTP server ceiling (smtplib, one prebuilt 3 kB message, one connection): {smtp_ceiling(port):.0f} mails/s")
    header = ("db", "emails", "workers", "batch", "wall s", "drain s", "mails/s", "RSS MiB", "CPU ms/mail")
    print(f"{header[0]:<10} " + " ".join(f"{h:>7}" for h in header[1:]))
    try:
        for workers in workers_list:
            for batch in batch_sizes:
                url = args.database_url or f"sqlite:///{tmp}/bench-{workers}-{batch}.sqlite"
                app = fill_queue(url, args.emails)
                handler.ids.clear()
                wall, rss, cpu = run_workers(url, port, workers, batch)
                drain, sent, total = drain_stats(app)
                dupes = sum(1 for n in handler.ids.values() if n > 1)
                ok = sent == total == args.emails == len(handler.ids) and dupes == 0
                rate = sent / drain if drain else float("nan")
                kind = sa.make_url(url).get_backend_name()
                print(
                    f"{kind:<10} {args.emails:>7} {workers:>7} {batch:>5} {wall:>7.1f} {drain:>7.1f} {rate:>8.0f} "
                    f"{rss:>7.1f} {1000 * cpu / max(1, sent):>11.2f}"
                    + ("" if ok else f"  MISMATCH sent={sent} received={len(handler.ids)} dupes={dupes}")
                )
    finally:
        controller.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
