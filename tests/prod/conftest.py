"""Fixtures of the production suite: real processes, a real S3 endpoint, SQL counting."""

import os
import socket
import subprocess
import sys

import pytest
import sqlalchemy as sa

from xobito_tickets import create_app

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def dispose_later():
    """Register apps whose engines are closed after the test (unclosed connections warn)."""
    apps = []
    yield apps.append
    for app in apps:
        with app.app_context():
            for engine in app.extensions["sqlalchemy"].engines.values():
                engine.dispose()


@pytest.fixture
def make_app(dispose_later):
    """Return ``create_app`` whose apps are cleaned up after the test."""

    def make(config):
        app = create_app(config)
        dispose_later(app)
        return app

    return make


def backend(app):
    """Return the database backend of ``app``: ``"sqlite"`` or ``"postgresql"``."""
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def free_port():
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_cli(database_url, *args, env=None, check=True):
    """Run ``flask --app wsgi ARGS`` in a subprocess against ``database_url``; return the result."""
    environ = dict(os.environ)
    environ.update(
        FLASK_SQLALCHEMY_DATABASE_URI=database_url,
        FLASK_SECRET_KEY="cli-test-secret",
        PYTHONPATH=ROOT + os.pathsep + environ.get("PYTHONPATH", ""),
    )
    environ.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


class QueryCounter:
    """Counts the SQL statements an engine runs, leaving out transaction control.

    BEGIN/COMMIT are left out because drivers differ (pysqlite's BEGIN is a statement
    here, psycopg's is not); what is counted is the work a page asks of the database.
    """

    IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

    def __init__(self, engine):
        self.engine = engine
        self.statements = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(self.IGNORED):
            self.statements.append(statement)

    def __enter__(self):
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)
        return False

    @property
    def count(self):
        return len(self.statements)


def queue_counts_drift(app):
    """Return where the kept queue counts differ from a count of the tickets: {key: (kept, actual)}."""
    from xobito_tickets.db import session
    from xobito_tickets.models import QueueCount, Ticket

    with app.app_context():
        assignee = sa.func.coalesce(Ticket.assignee_id, 0)
        key = (Ticket.tenant_id, Ticket.department_id, assignee, Ticket.priority, Ticket.status)
        # Each key counts its tickets and, of those, the ones whose customer wrote last ("waiting").
        waiting = sa.func.count().filter(Ticket.last_message_by == "customer")
        actual = {
            tuple(row[:-2]): tuple(row[-2:])
            for row in session.execute(sa.select(*key, sa.func.count(), waiting).group_by(*key))
        }
        kept_key = (QueueCount.tenant_id, QueueCount.department_id, QueueCount.assignee_id, QueueCount.priority)
        kept = {
            tuple(row[:-2]): tuple(row[-2:])
            for row in session.execute(sa.select(*kept_key, QueueCount.status, QueueCount.n, QueueCount.waiting))
        }
    none = (0, 0)
    keys = set(actual) | {k for k, n in kept.items() if n != none}
    return {k: (kept.get(k, none), actual.get(k, none)) for k in keys if kept.get(k, none) != actual.get(k, none)}
