"""The module's declarative base and access to the host's SQLAlchemy session.

The models live on their own ``MetaData`` so that a host with its own
Flask-SQLAlchemy instance can share one database and one session with the module
and put these tables into its own Alembic migrations (``target_metadata`` list).
"""

from flask import current_app
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base of every xobito_tickets model."""

    metadata = metadata


def _get_db():
    return current_app.extensions["xobito_tickets"].db


#: The Flask-SQLAlchemy session the module was set up with.
session = LocalProxy(lambda: _get_db().session)

_WRITE_OPTION = "xobito_tickets_write"


def configure_sqlite_engine(engine):
    """Give an SQLite engine WAL, a busy timeout and real ``BEGIN IMMEDIATE`` writes.

    pysqlite's own transaction handling starts transactions late and cannot take the
    write lock up front, so two processes that read a row and then update it can fail
    with "database is locked". With this, :func:`begin_write` opens a transaction that
    holds the write lock from its first statement, and readers never block (WAL).
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_xobito_tickets_configured", False):
        return
    engine._xobito_tickets_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write():
    """Start the write transaction of a service, taking the write lock first.

    Ends whatever read transaction the view had open, then begins a transaction that,
    on SQLite, holds the database write lock from the start. On PostgreSQL services
    lock the rows they change with ``SELECT … FOR UPDATE``.

    Ending the read transaction does not expire what the view loaded: a service
    reloads, with its lock, the rows whose state it decides on (``populate_existing``),
    and the rest (the tenant, the actor, a department) was read moments ago in this
    request. Expiring it would cost one query per object touched again.
    """
    sess = _get_db().session()
    if sess.in_transaction():
        expire, sess.expire_on_commit = sess.expire_on_commit, False
        try:
            sess.commit()
        finally:
            sess.expire_on_commit = expire
    sess.connection(execution_options={_WRITE_OPTION: True})
    return sess
