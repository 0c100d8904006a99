"""Fixtures of the portal suite: template databases, logged-in clients, disk checks."""

import io
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.models import (
    LoginSession,
)

from ..conftest import PASSWORD, TEST_SETTINGS, World, snapshot, storage_files  # noqa: F401 (re-exported)


class _SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole run, shared by every test's app.

    Each test builds its own app, and each app would compile every template again
    (a fifth of the suite's time); the code compiled is the same, so compile it once.
    """

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _SharedBytecodeCache()


def _template_app(path):
    return create_app(
        {**TEST_SETTINGS, "TESTING": True, "SECRET_KEY": "template", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
    )


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    """Two SQLite files built once: the empty schema, and the schema with the ``World``.

    Each test gets its own copy of one of them (a real SQLite file), which is much
    cheaper than building the schema and the people again for each of 280 tests.
    """
    folder = tmp_path_factory.mktemp("templates")
    schema_path, world_path = folder / "schema.sqlite", folder / "world.sqlite"
    app = _template_app(schema_path)
    with app.app_context():
        metadata.create_all(app.extensions["sqlalchemy"].engine)
        app.extensions["sqlalchemy"].engine.dispose()  # the last close folds the WAL into the file
    shutil.copyfile(schema_path, world_path)
    app = _template_app(world_path)
    world = World(app)
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
    ids = {name: value for name, value in vars(world).items() if name.endswith("_id")}
    return {"schema": schema_path, "world": world_path, "world_ids": ids}


@pytest.fixture
def app(request, app_config, postgres_databases, sqlite_templates):
    """The app over a copy of a template SQLite file (or the shared fixture's database elsewhere)."""
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if postgres_databases is not None or not url.startswith("sqlite:///"):
        yield request.getfixturevalue("app")
        return
    template = "world" if "world" in request.fixturenames else "schema"
    shutil.copyfile(sqlite_templates[template], url[len("sqlite:///") :])
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = _BYTECODE_CACHE
    app.extensions["xobito_tickets_test_template"] = template
    yield app
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def world(request, app, sqlite_templates):
    """The shared ``World`` (two tenants, people, departments): from the template when the app has it."""
    if app.extensions.get("xobito_tickets_test_template") == "world":
        return SimpleNamespace(app=app, **sqlite_templates["world_ids"])
    return request.getfixturevalue("world")


def upload(data, name):
    """Return a file part for :func:`post_multipart`."""
    return (data, name)


@pytest.fixture
def customer(client, auth, world):
    """The test client, logged in as Carla, a customer of acme."""
    response = auth.login("carla@acme.test")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def live_sessions(app):
    """Return the number of server-side login sessions."""
    with app.app_context():
        return session.scalar(sa.select(sa.func.count()).select_from(LoginSession))


__all__ = ["PASSWORD", "live_sessions", "post_multipart", "snapshot", "storage_files", "upload"]


def post_multipart(client, url, data):
    """POST ``data`` as multipart/form-data encoded in memory.

    Values that are ``(bytes, filename)`` tuples become file parts. (The test client's
    own encoder spools large bodies to a temporary file it never closes.)
    """
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    fields = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                content, name = item
                item = FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream")
            fields.add(key, item)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
