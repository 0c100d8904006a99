"""Fixtures: a real SQLite file per test, or a PostgreSQL database of its own (TEST_DATABASE_URL)."""

import os
import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.mail.recipients import _admins_and_members
from xobito_tickets.models import Role
from xobito_tickets.search.schema import include_object
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant
from xobito_tickets.tickets.access import _ticket_by_number, _visibility_of
from xobito_tickets.workspace.queue import _COUNTS_STATEMENTS

from .factories import Factory
from .pgdatabases import PostgresDatabases, is_postgres

PASSWORD = "correct horse battery"

#: mutmut (docs/mutation-testing.md) runs the tests with MUTANT_UNDER_TEST set.
MUTATION_RUN = "MUTANT_UNDER_TEST" in os.environ

#: Settings every test app gets: a low work factor for the fixture people's passwords
#: (hashing and checking stay real; only the cost changes). The login suite has its own
#: test with the default (scrypt) hash.
TEST_SETTINGS = {"TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}


@pytest.fixture(autouse=MUTATION_RUN)
def _cached_statements_built_per_test():
    """Under mutmut only: build the cached statements anew in each test.

    The access rules', the tab counts' and the new-ticket recipients' statements are built
    once per process, so while mutmut records which test calls which function, only the
    first tests to build one would be recorded as calling its builder, and its mutants would
    run against those few (docs/mutation-testing.md).
    """
    _visibility_of.cache_clear()
    _ticket_by_number.cache_clear()
    _COUNTS_STATEMENTS.clear()  # the queue's tab counts statement, per person
    _admins_and_members.cache_clear()  # who hears about a new ticket


def _database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return "sqlite:///" + str(tmp_path / "tickets.sqlite")
    return base


@pytest.fixture(scope="session")
def postgres_databases():
    """The session's PostgreSQL test databases (TEST_DATABASE_URL names the server), or None."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not is_postgres(url):
        yield None
        return
    databases = PostgresDatabases(url)
    yield databases
    databases.close()


@pytest.fixture
def database_url(tmp_path, postgres_databases):
    """The URL of this test's own database: a SQLite file, or a PostgreSQL database with the schema."""
    if postgres_databases is None:
        yield _database_url(tmp_path)
        return
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def app_config(tmp_path, database_url):
    """The test configuration; tests may change it before ``app`` is built."""
    return {
        **TEST_SETTINGS,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        "WTF_CSRF_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
        "TICKETS_BASE_URL": "http://helpdesk.test",
    }


@pytest.fixture
def app(app_config, tmp_path, postgres_databases):
    """A fresh app over an empty database with the full schema."""
    app = create_app(app_config)
    prepared = postgres_databases.prepared if postgres_databases is not None else ()
    if app_config["SQLALCHEMY_DATABASE_URI"] not in prepared:
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            metadata.drop_all(engine)
            metadata.create_all(engine)
    yield app
    with app.app_context():
        session.remove()
        if os.environ.get("TEST_DATABASE_URL") and postgres_databases is None:
            metadata.drop_all(app.extensions["sqlalchemy"].engine)
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def empty_app(tmp_path, postgres_databases):
    """The reference app over an empty database, no tables at all (a SQLite file, or PostgreSQL
    without the schema): the migration tests walk the chain themselves."""
    if postgres_databases is None:
        url = "sqlite:///" + str(tmp_path / "empty.sqlite")
    else:
        url = postgres_databases.create(with_schema=False)
    app = create_app(
        {
            **TEST_SETTINGS,
            "TESTING": True,
            "SECRET_KEY": "migrations",
            "SQLALCHEMY_DATABASE_URI": url,
            "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        }
    )
    yield app
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
    if postgres_databases is not None:
        postgres_databases.drop(url)


def schema_differences(connection):
    """Return what autogenerate finds between the models and the database's schema (``[]``: they agree)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
    return compare_metadata(context, metadata)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Two tenants with people and departments, made through the services."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.acme = create_tenant("acme", "Acme Inc")
            self.globex = create_tenant("globex", "Globex")
            self.customer = create_user(self.acme, "carla@acme.test", "Carla Customer", Role.CUSTOMER, PASSWORD)
            self.other_customer = create_user(self.acme, "oscar@acme.test", "Oscar Other", Role.CUSTOMER, PASSWORD)
            self.staff = create_user(self.acme, "sam@acme.test", "Sam Support", Role.STAFF, PASSWORD)
            self.billing_staff = create_user(self.acme, "bea@acme.test", "Bea Billing", Role.STAFF, PASSWORD)
            self.admin = create_user(self.acme, "ada@acme.test", "Ada Admin", Role.ADMIN, PASSWORD)
            self.support = create_department(self.acme, "Support", "Help", members=[self.staff])
            self.billing = create_department(self.acme, "Billing", "Money", members=[self.billing_staff])
            self.legacy = create_department(self.acme, "Legacy", "Old", active=False)
            self.globex_customer = create_user(self.globex, "gina@globex.test", "Gina", Role.CUSTOMER, PASSWORD)
            self.globex_admin = create_user(self.globex, "gary@globex.test", "Gary", Role.ADMIN, PASSWORD)
            self.globex_support = create_department(self.globex, "Support", "Help")
            # Keep plain ids: rows are reloaded in each test's own app context.
            for name in list(vars(self)):
                value = getattr(self, name)
                if hasattr(value, "id") and name != "app":
                    setattr(self, name + "_id", value.id)


@pytest.fixture
def world(app):
    return World(app)


@pytest.fixture
def make(app, world):
    """The factory of tickets and replies (tests/factories.py)."""
    return Factory(app, world)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD, tenant="acme"):
        return self._client.post(f"/{tenant}/login", data={"email": email, "password": password})

    def logout(self, tenant="acme"):
        return self._client.post(f"/{tenant}/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def csrf_token_from(html):
    """Return the first CSRF token in an HTML page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


#: Login bookkeeping a test's own logins change; left out of snapshots unless asked for.
LOGIN_BOOKKEEPING = ("tickets_login_sessions", "tickets_login_failures")


def storage_files(app):
    """Return the set of files below the app's storage root, as relative paths."""
    root = app.config["TICKETS_STORAGE_ROOT"]
    return {
        os.path.relpath(os.path.join(folder, name), root) for folder, _dirs, files in os.walk(root) for name in files
    }


def snapshot(app, skip=LOGIN_BOOKKEEPING):
    """Return every row of every table (but ``skip``) and every stored file.

    Two equal snapshots mean a request changed nothing a user could notice: no ticket,
    reply, history line, outbox email, department, person or file. The one snapshot of
    the suite: every package's tests compare with it.
    """
    state = {}
    with app.app_context():
        for table in metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = session.execute(sa.select(table)).all()
            state[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
        session.remove()
    state["files"] = sorted(storage_files(app))
    return state


def count_rows(app, model):
    """Return the number of rows of ``model``."""
    with app.app_context():
        return session.scalar(sa.select(sa.func.count()).select_from(model))
