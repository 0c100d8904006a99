"""The databases: the suite runs where CI says, SQLite is set up for many processes, migrations work."""

import os
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from xobito_tickets import create_app
from xobito_tickets import db as db_module
from xobito_tickets.db import begin_write, session
from xobito_tickets.models import Tenant

from .conftest import backend, flask_cli


def test_suite_runs_on_the_database_ci_asked_for(app):
    expected = os.environ.get("XT_EXPECT_DATABASE")
    if not expected:
        pytest.skip("XT_EXPECT_DATABASE is set by scripts/test.sh only")
    with app.app_context():
        assert app.extensions["sqlalchemy"].engine.dialect.name == expected
        assert session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == 0


def test_each_test_has_a_database_of_its_own(app, postgres_databases):
    if backend(app) != "postgresql":
        pytest.skip("PostgreSQL only")
    name = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    assert name.startswith(postgres_databases.prefix)
    with app.app_context():
        assert session.scalar(sa.text("SELECT current_database()")) == name


@pytest.fixture
def sqlite_app(app):
    if backend(app) != "sqlite":
        pytest.skip("SQLite only")
    return app


def test_sqlite_uses_wal_a_busy_timeout_and_foreign_keys(sqlite_app):
    with sqlite_app.app_context():
        assert session.scalar(sa.text("PRAGMA journal_mode")) == "wal"
        assert session.scalar(sa.text("PRAGMA busy_timeout")) == 15000
        assert session.scalar(sa.text("PRAGMA foreign_keys")) == 1


@pytest.mark.parametrize("setting, kib", [(None, 128 * 1024), (16, 16 * 1024)])
def test_sqlite_connections_keep_the_configured_page_cache(app_config, postgres_databases, setting, kib):
    if not app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    if setting is not None:
        app_config = {**app_config, "TICKETS_SQLITE_CACHE_MB": setting}
    app = create_app(app_config)
    with app.app_context():
        # SQLite's own default is 2,000 KiB; a negative size is in KiB.
        assert session.scalar(sa.text("PRAGMA cache_size")) == -kib
        session.remove()


def test_sqlite_write_transaction_holds_the_write_lock_and_readers_go_on(sqlite_app, world):
    path = sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with sqlite_app.app_context():
            begin_write()
            # BEGIN IMMEDIATE took the write lock before anything was written ...
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # ... while readers are not blocked (WAL).
            assert other.execute("SELECT count(*) FROM tickets_tenants").fetchone() == (2,)
            session.rollback()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_write_waits_for_another_writer_then_takes_the_lock(sqlite_app, world):
    """A write queued behind another connection's write starts once that one commits."""
    path = sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database
    other = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE tickets_tenants SET name = 'Renamed by the other writer' WHERE slug = 'acme'")
    committer = threading.Timer(0.3, other.execute, ["COMMIT"])
    committer.start()
    try:
        with sqlite_app.app_context():
            begin_write()
            # The lock came after the other commit, so this transaction sees its write.
            assert session.scalar(sa.text("SELECT name FROM tickets_tenants WHERE slug = 'acme'")) == (
                "Renamed by the other writer"
            )
            assert session.scalar(sa.text("PRAGMA busy_timeout")) == 15000
            session.rollback()
    finally:
        committer.join()
        other.close()


def test_sqlite_write_fails_after_the_busy_timeout_and_keeps_the_timeout(sqlite_app, world, monkeypatch):
    monkeypatch.setattr(db_module, "_BUSY_TIMEOUT_MS", 200)
    path = sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with sqlite_app.app_context():
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                begin_write()
            session.rollback()
            other.execute("ROLLBACK")
            # Nothing is left broken: the next write takes the lock at once.
            begin_write()
            session.execute(sa.update(Tenant).where(Tenant.slug == "acme").values(name="Acme Renamed"))
            session.commit()
            assert session.scalar(sa.select(Tenant.name).where(Tenant.slug == "acme")) == "Acme Renamed"
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def test_reads_do_not_take_the_write_lock(sqlite_app, world):
    path = sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with sqlite_app.app_context():
            assert session.scalar(sa.select(sa.func.count()).select_from(Tenant)) == 2
            assert session().in_transaction()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            session.rollback()
    finally:
        other.close()


@pytest.fixture
def empty_database_url(app, postgres_databases, tmp_path):
    """The URL of an empty database (no tables) on the backend of this run."""
    if postgres_databases is None:
        yield "sqlite:///" + str(tmp_path / "empty.sqlite")
        return
    url = postgres_databases.create(with_schema=False)
    yield url
    postgres_databases.drop(url)


def _tables(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_build_the_schema_the_models_describe(empty_database_url):
    assert _tables(empty_database_url) == set()
    flask_cli(empty_database_url, "db", "upgrade")
    tables = _tables(empty_database_url)
    assert {"tickets_tickets", "tickets_counters", "tickets_outbox", "alembic_version"} <= tables
    # Autogenerate finds nothing to add: the migrations match the models on this backend.
    result = flask_cli(empty_database_url, "db", "check")
    assert "No new upgrade operations detected" in result.stdout + result.stderr
    # And the way back works too.
    flask_cli(empty_database_url, "db", "downgrade", "base")
    assert _tables(empty_database_url) == {"alembic_version"}
