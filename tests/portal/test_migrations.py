"""The migrations build exactly the schema the models describe."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from xobito_tickets import create_app
from xobito_tickets.db import metadata
from xobito_tickets.search.schema import include_object, is_searchable_object


@pytest.fixture
def empty_app(tmp_path):
    """The app over an empty SQLite file: no tables at all."""
    app = create_app(
        {
            "TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "TESTING": True,
            "SECRET_KEY": "migrations",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "empty.sqlite"),
            "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        }
    )
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def _tables(app):
    """Return the tables of the app's database, less the search index's FTS5 tables (made by its own DDL)."""
    with app.app_context():
        names = sa.inspect(app.extensions["sqlalchemy"].engine).get_table_names()
    return {name for name in names if not is_searchable_object(name)}


def test_upgrade_builds_the_schema_and_autogenerate_finds_no_difference(empty_app):
    assert _tables(empty_app) == set()
    with empty_app.app_context():
        upgrade()  # what `flask db upgrade` runs
        engine = empty_app.extensions["sqlalchemy"].engine
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            differences = compare_metadata(context, metadata)
    assert differences == []
    assert set(metadata.tables) | {"alembic_version"} == _tables(empty_app)


def test_the_indexes_the_lists_need_are_created(empty_app):
    with empty_app.app_context():
        upgrade()
        inspector = sa.inspect(empty_app.extensions["sqlalchemy"].engine)
        indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("tickets_tickets")}
        uniques = [uq["column_names"] for uq in inspector.get_unique_constraints("tickets_tickets")]
    starts = {tuple(columns[:2]) for columns in indexes.values()}
    # The customer's list (own tickets) and the tenant-wide queue can seek, not scan.
    assert ("tenant_id", "requester_id") in starts
    assert ("tenant_id", "last_reply_at") in starts
    assert ["tenant_id", "number"] in uniques


def test_downgrade_removes_everything_and_upgrade_rebuilds_it(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
    assert _tables(empty_app) == {"alembic_version"}
    with empty_app.app_context():
        upgrade()
    assert set(metadata.tables) <= _tables(empty_app)
