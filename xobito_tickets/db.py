"""The module's declarative base and access to the host's SQLAlchemy session.

The models live on their own ``MetaData`` so that a host with its own
Flask-SQLAlchemy instance can share one database and one session with the module
and put these tables into its own Alembic migrations (``target_metadata`` list).
"""

import contextlib
import sqlite3
import time

from flask import current_app
from sqlalchemy import MetaData, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, attributes
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


def row_columns(model):
    """Return ``(columns, attribute names)`` of ``model``'s table, for :func:`persistent_from_row`."""
    mapper = sa_inspect(model)
    columns = tuple(model.__table__.c)
    return columns, tuple(mapper.get_property_by_column(column).key for column in columns)


def persistent_from_row(model, names, values):
    """Return the session's instance of ``model`` for a whole row read with Core (``names`` from :func:`row_columns`).

    This is what the ORM does with a row it loads (the instance in the session's identity
    map, its attributes loaded, its relationships loaded on first access) without building
    the ORM's row processors for the statement, which for the one row read before every
    page (the tenant, the logged-in person) cost more than the query itself. As in an ORM
    query, an instance the session holds already is returned as it is.
    """
    sess = _get_db().session()
    mapper = sa_inspect(model)
    row = dict(zip(names, values, strict=True))
    key = mapper.identity_key_from_primary_key(
        [row[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
    )
    existing = sess.identity_map.get(key)
    if existing is not None:
        return existing
    obj = mapper.class_manager.new_instance()
    state = attributes.instance_state(obj)
    state.dict.update(row)
    # The steps of sqlalchemy.orm.loading._instance for a new row.
    state.key = key
    state.session_id = sess.hash_key
    sess.identity_map._add_unpresent(state, key)
    state._commit_all(state.dict, sess.identity_map)
    return obj


#: How long an SQLite statement waits for another connection's write before it fails
#: with "database is locked".
_BUSY_TIMEOUT_MS = 15000
#: SQLite's page cache per connection, in MiB (``TICKETS_SQLITE_CACHE_MB``): it grows only
#: as pages are read. The benchmark's searches at a million tickets gained half as much
#: with 64 MiB as with 128, and no more with 256.
DEFAULT_CACHE_MB = 128


def _begin_immediate(conn):
    """``BEGIN IMMEDIATE`` on an SQLite connection, tried again in short steps while another writes.

    SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between its tries, so a write
    queued behind a 3 ms transaction sleeps 8 ms, and under load the writers spend more
    time asleep than writing. Steps of 0.1 to 1 ms take the lock soon after it is free.
    After the busy timeout (or on any other error) the statement runs once more through
    SQLAlchemy, which raises its usual ``OperationalError`` ("database is locked").
    """
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        delay, deadline = 0.0001, time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                # SQLITE_BUSY and its extended codes (the low byte is the primary code).
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    break
            time.sleep(delay)
            delay = min(delay * 2, 0.001)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")


@contextlib.contextmanager
def foreign_keys_off_for_migrations(connection):
    """On SQLite, run the block (the migrations) with foreign key enforcement off on ``connection``.

    SQLite changes most columns by copying the table and dropping the old one (Alembic's batch
    mode). With enforcement on, dropping a table that other rows refer to fails, even though the
    copy takes its name a moment later; and the switch only works outside a transaction. So it is
    turned off before the migrations begin, each migration's rows are checked by
    :func:`check_foreign_keys` before it commits (Alembic's ``on_version_apply``), and enforcement
    is turned on again before the connection goes back to the pool. Other databases keep their
    constraints as they are.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        # The switch is ignored inside a transaction: end the one a last statement may have begun.
        if connection.in_transaction():
            connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        raw.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(ctx, *args, **kwargs):
    """Raise if a migration left a row whose foreign key refers to nothing (SQLite; before its commit).

    Called by Alembic after each migration step (``on_version_apply``) with the migration context.
    """
    connection = ctx.connection
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"The migration left rows whose foreign keys refer to nothing: {broken[:5]}")


def configure_sqlite_engine(engine, cache_mb=DEFAULT_CACHE_MB):
    """Give an SQLite engine WAL, a busy timeout, a page cache of ``cache_mb`` and real ``BEGIN IMMEDIATE`` writes.

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
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Negative: KiB. Each connection keeps the pages it read while the database is
        # unchanged (WAL), so a busy page re-reads the index pages it needs from memory
        # instead of asking the operating system for each (SQLite's default is 2 MB).
        cursor.execute(f"PRAGMA cache_size=-{max(int(cache_mb), 1) * 1024}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(_WRITE_OPTION):
            _begin_immediate(conn)
        else:
            # On the driver's connection: through SQLAlchemy's statement machinery this
            # BEGIN, before every page, cost a tenth of an empty page. A failure runs it
            # again through SQLAlchemy, which raises its own error (a 503, not a 500).
            try:
                conn.connection.dbapi_connection.execute("BEGIN")
            except sqlite3.Error:
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
