"""Fixtures of the embedding suite: host sites with their own users, on real SQLite files.

``make_host`` builds a small host site (the example site's ``User`` model, Flask-Login,
a layout of its own under ``tests/embed/templates``) with the helpdesk mounted by a
fresh ``Tickets`` object, so each test chooses its tenancy mode and hooks. ``example``
is ``examples/host_app`` itself, its database built the way its one command builds it.
"""

import functools
import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, abort, render_template
from flask_login import LoginManager, login_user
from werkzeug.security import generate_password_hash

import examples.host_app.models
from examples.host_app.helpdesk import HELPDESK_ROLES
from examples.host_app.models import User, db
from xobito_tickets import Identity, Tickets
from xobito_tickets.db import session as tickets_session
from xobito_tickets.models import User as Person

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def sqlite_tables(database):
    """Return the table names of the SQLite file ``database`` and the versions its Alembic tables hold."""
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            names = set(sa.inspect(connection).get_table_names())
            versions = {
                table: sorted(connection.execute(sa.text(f"SELECT version_num FROM {table}")).scalars())
                for table in ("alembic_version", "tickets_alembic_version")
                if table in names
            }
        return names, versions
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash the host users' passwords with a low work factor; hashing stays real."""
    monkeypatch.setattr(
        examples.host_app.models,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


def describe_host_user(user):
    """The identity_loader most tests use: the example site's role mapping."""
    return Identity(
        id=user.id,
        email=user.email,
        name=user.full_name,
        role=HELPDESK_ROLES.get(user.role, "customer"),
        active=not user.disabled,
    )


class HostSite:
    """A host app under test, with helpers to add its users and log them in."""

    def __init__(self, app, tickets):
        self.app = app
        self.tickets = tickets

    def add_user(self, email, name, role="member", disabled=False, password="host-password"):
        """Create a host user; return its id."""
        with self.app.app_context():
            user = User(email=email, full_name=name, role=role, disabled=disabled)
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return user.id

    def update_user(self, user_id, **values):
        """Change a host user's columns, as the host's own profile pages would."""
        with self.app.app_context():
            user = db.session.get(User, user_id)
            for key, value in values.items():
                setattr(user, key, value)
            db.session.commit()

    def client(self, user_id=None, host=None, login_host=None):
        """Return a test client for requests to ``host`` (if given), logged in as ``user_id`` (if given).

        ``login_host``: the host name of the site's own pages, when it differs from ``host``.
        """
        client = OnHost(self.app.test_client(), login_host or host)
        if user_id is not None:
            response = client.get(f"/test-login/{user_id}")
            assert response.status_code == 204, response.status_code
        client.host = host
        return client

    def people(self, **where):
        """Return the helpdesk's directory rows as dicts (external_id, email, name, role, active)."""
        with self.app.app_context():
            query = sa.select(Person).order_by(Person.id)
            for key, value in where.items():
                query = query.where(getattr(Person, key) == value)
            return [
                {"external_id": p.external_id, "email": p.email, "name": p.name, "role": p.role, "active": p.active}
                for p in tickets_session.scalars(query)
            ]


class OnHost:
    """A test client whose requests go to one host name (``base_url``) unless told otherwise."""

    def __init__(self, client, host):
        self._client = client
        self.host = host

    def _open(self, method, *args, **kwargs):
        if self.host:
            kwargs.setdefault("base_url", f"http://{self.host}")
        return getattr(self._client, method)(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self._open("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._open("post", *args, **kwargs)


@pytest.fixture
def make_host(tmp_path, postgres_databases):
    """Return a factory ``make_host(config=None, tickets=None, identity=True, flask_options=None)``.

    Each host gets an empty database: a SQLite file, or a PostgreSQL database of its own
    when the suite runs on PostgreSQL (TEST_DATABASE_URL).
    """
    apps, databases = [], []

    def new_database_url():
        if postgres_databases is None:
            return f"sqlite:///{tmp_path / f'host{len(apps)}.sqlite'}"
        databases.append(postgres_databases.create(with_schema=False))
        return databases[-1]

    def factory(config=None, tickets=None, identity=True, flask_options=None, login_view="login", create=True):
        app = Flask("embed_host", template_folder=str(HERE / "templates"), **(flask_options or {}))
        app.config.update(
            TESTING=True,
            SECRET_KEY="host-test-secret",
            SQLALCHEMY_DATABASE_URI=new_database_url(),
            WTF_CSRF_ENABLED=False,
            MAIL_SUPPRESS_SEND=True,
            TICKETS_STORAGE_ROOT=str(tmp_path / "storage"),
            TICKETS_BASE_TEMPLATE="host_base.html",
            TICKETS_BASE_URL="http://host.test",
            TICKETS_PASSWORD_HASH_METHOD="pbkdf2:sha256:1",
        )
        app.config.update(config or {})
        db.init_app(app)
        login_manager = LoginManager(app)
        login_manager.login_view = login_view
        login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))

        @app.get("/login")
        def login():
            return "the host's login page"

        @app.get("/test-login/<int:user_id>")
        def test_login(user_id):
            user = db.session.get(User, user_id)
            if user is None or not login_user(user, force=True):
                abort(404)
            return "", 204

        @app.get("/")
        def home():
            return render_template("host_home.html")

        tickets = tickets or Tickets()
        if identity and tickets._identity_loader is None:
            tickets.identity_loader(describe_host_user)
        tickets.init_app(app, db=db)
        if create:
            with app.app_context():
                db.create_all()
                tickets.create_all()
        apps.append(app)
        return HostSite(app, tickets)

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    for url in databases:
        postgres_databases.drop(url)


@pytest.fixture
def single_host(make_host):
    """A host with the helpdesk in single-tenant mode at /support."""
    return make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_URL_PREFIX": "/support"})


EXAMPLE_LOGINS = {
    "customer": "casey@example.test",
    "staff": "sam@example.test",
    "admin": "morgan@example.test",
}


@pytest.fixture
def example_config(tmp_path):
    """Test settings of examples/host_app: a real SQLite file, mail to nowhere unless a test says so."""
    return {
        "TESTING": True,
        "SECRET_KEY": "example-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.sqlite'}",
        "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        "TICKETS_MAIL_FILE_DIR": str(tmp_path / "mail"),
        "MAIL_SUPPRESS_SEND": True,
        "TICKETS_BASE_URL": "http://example.test",
    }


@pytest.fixture
def example(example_config):
    """examples/host_app with its database built as ``python -m examples.host_app`` builds it."""
    from examples.host_app import create_app
    from examples.host_app.setup import prepare_database

    app = create_app(example_config)
    # Flask-Migrate's env.py configures logging from alembic.ini; keep the test run's own.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with app.app_context():
            prepare_database()
    finally:
        root.handlers[:], root.level = handlers, level
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_from(html):
    """Return the first CSRF token on a page."""
    from tests.conftest import csrf_token_from

    return csrf_token_from(html)


def example_login(client, role):
    """Log in to the example site through its own login form; return the response."""
    from examples.host_app.setup import PASSWORD

    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": EXAMPLE_LOGINS[role],
            "password": PASSWORD,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


@pytest.fixture
def environ_path():
    """PYTHONPATH for subprocesses that import the repository's packages."""
    return str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
