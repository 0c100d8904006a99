"""Throwaway PostgreSQL databases for tests, so that several test runs can share one server.

Each pytest session makes a template database with the full schema once; each test
gets its own database copied from it (``CREATE DATABASE … TEMPLATE``, about 30 ms) and
dropped afterwards. Names carry the process id and a random part, so concurrent runs
by several people on the same server never see each other's rows.
"""

import os
import secrets

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from xobito_tickets.db import metadata


def normalize_url(url):
    """Return ``url`` as a SQLAlchemy URL, using psycopg 3 for a bare ``postgresql://``."""
    url = sa.make_url(url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_postgres(url):
    """Return True if ``url`` names a PostgreSQL database."""
    return bool(url) and sa.make_url(url).get_backend_name() == "postgresql"


def render(url):
    """Return ``url`` as a string with its password (for app config and subprocesses)."""
    return url.render_as_string(hide_password=False)


class PostgresDatabases:
    """Creates and drops the test databases of one pytest session on one server."""

    def __init__(self, server_url):
        self.server_url = normalize_url(server_url)
        self.prefix = f"xt_{os.getpid()}_{secrets.token_hex(3)}"
        self._admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._template = None
        self._counter = 0
        #: URLs of databases that already have the schema (copied from the template).
        self.prepared = set()

    def _new_name(self):
        self._counter += 1
        return f"{self.prefix}_{self._counter}"

    def _execute(self, sql):
        with self._admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def _ensure_template(self):
        if self._template is None:
            name = f"{self.prefix}_template"
            self._execute(f'CREATE DATABASE "{name}"')
            engine = sa.create_engine(self.server_url.set(database=name), poolclass=NullPool)
            try:
                metadata.create_all(engine)
            finally:
                engine.dispose()
            self._template = name
        return self._template

    def create(self, with_schema=True):
        """Create a database (with the schema, or empty) and return its URL as a string."""
        name = self._new_name()
        if with_schema:
            # FILE_COPY: for a small database it is much faster than WAL_LOG, on create and drop.
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._ensure_template()}" STRATEGY FILE_COPY')
        else:
            self._execute(f'CREATE DATABASE "{name}"')
        url = render(self.server_url.set(database=name))
        if with_schema:
            self.prepared.add(url)
        return url

    def drop(self, url):
        """Drop the database of ``url``, ending connections a test left behind."""
        name = sa.make_url(url).database
        if not name.startswith(self.prefix):
            raise ValueError(f"{name} is not a database of this test session")
        self.prepared.discard(url)
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self):
        """Drop the template and release the server connection."""
        if self._template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None
        self._admin.dispose()
