"""The helpdesk's tables in a host's database, managed next to the host's own Alembic migrations."""

import shutil
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xobito_tickets import migrate as schema
from xobito_tickets.db import metadata as tickets_metadata

from .conftest import ROOT, sqlite_tables


def _flask(database, *args, env_path):
    """Run ``flask --app examples.host_app ARGS`` in a subprocess on the SQLite file ``database``."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "examples.host_app", *args],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": env_path,
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "FLASK_SECRET_KEY": "migration-test",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_a_host_creates_and_upgrades_the_helpdesk_tables_next_to_its_own(tmp_path, environ_path):
    database = tmp_path / "site.sqlite"
    # The site's migration repository, copied so an autogenerate run cannot touch the example.
    directory = tmp_path / "migrations"
    shutil.copytree(
        ROOT / "examples" / "host_app" / "migrations", directory, ignore=shutil.ignore_patterns("__pycache__")
    )

    _flask(database, "db", "upgrade", "-d", str(directory), env_path=environ_path)
    names, versions = sqlite_tables(database)
    assert "users" in names and not any(name.startswith("tickets_") for name in names)

    output = _flask(database, "tickets", "db", "upgrade", env_path=environ_path)
    assert "Helpdesk tables at" in output
    names, versions = sqlite_tables(database)
    assert set(tickets_metadata.tables) <= names
    assert versions == {"alembic_version": ["site_0001"], "tickets_alembic_version": list(schema.heads())}

    # The site's own history is unchanged: one head, and autogenerate sees nothing to do.
    assert "site_0001 (head)" in _flask(database, "db", "heads", "-d", str(directory), env_path=environ_path)
    output = _flask(database, "db", "migrate", "-d", str(directory), "-m", "nothing", env_path=environ_path)
    assert "No changes in schema detected." in output
    assert sorted(p.name for p in (directory / "versions").glob("*.py")) == ["site_0001_site_users.py"]
    # Upgrading again is a no-op for both.
    _flask(database, "db", "upgrade", "-d", str(directory), env_path=environ_path)
    assert "newest:" in _flask(database, "tickets", "db", "current", env_path=environ_path)
    assert sqlite_tables(database)[1] == versions


def test_include_object_is_what_keeps_autogenerate_off_the_helpdesk_tables(example):
    from examples.host_app.models import db

    with example.app_context(), db.engine.connect() as connection:
        plain = compare_metadata(MigrationContext.configure(connection), db.metadata)
        filtered = compare_metadata(
            MigrationContext.configure(connection, opts={"include_object": schema.include_object}), db.metadata
        )
    dropped = {diff[1].name for diff in plain if diff[0] == "remove_table"}
    assert set(tickets_metadata.tables) | {"tickets_alembic_version"} <= dropped
    assert filtered == []


NEXT_REVISION = '''
"""add tenants.tagline (a later release of the module)"""
from alembic import op
import sqlalchemy as sa

revision = "test_next"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets_tenants") as batch_op:
        batch_op.add_column(sa.Column("tagline", sa.String(100), nullable=True))


def downgrade():
    with op.batch_alter_table("tickets_tenants") as batch_op:
        batch_op.drop_column("tagline")
'''


@pytest.fixture
def next_release(tmp_path, monkeypatch):
    """The module's migrations plus one more revision, as a later release would ship them."""
    directory = tmp_path / "module-migrations"
    shutil.copytree(ROOT / "xobito_tickets" / "migrations", directory, ignore=shutil.ignore_patterns("__pycache__"))
    (heads,) = [schema.heads()]
    (directory / "versions" / "test_next.py").write_text(textwrap.dedent(NEXT_REVISION.format(down=heads[0])))
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", str(directory))
    return heads[0]


def _columns(app, table):
    from examples.host_app.models import db

    with app.app_context():
        return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_a_later_release_upgrades_the_helpdesk_tables_and_keeps_the_data(example, next_release):
    runner = example.test_cli_runner()
    assert "tagline" not in _columns(example, "tickets_tenants")
    result = runner.invoke(args=["tickets", "db", "current"])
    assert f"database: {next_release}; newest: test_next" in result.output
    assert "Run 'flask tickets db upgrade'" in result.output

    result = runner.invoke(args=["tickets", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Helpdesk tables at test_next." in result.output
    assert "tagline" in _columns(example, "tickets_tenants")
    with example.app_context():
        from examples.host_app.models import User, db
        from xobito_tickets.tenancy import single_tenant

        assert single_tenant().name == "Example Co support"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3

    result = runner.invoke(args=["tickets", "db", "downgrade", next_release])
    assert result.exit_code == 0, result.output
    assert "tagline" not in _columns(example, "tickets_tenants")


def test_create_all_records_the_newest_version(single_host):
    with single_host.app.app_context():
        assert schema.current() == schema.heads()
        schema.upgrade()  # nothing to do, no "table exists" error
        assert schema.current() == schema.heads()


def test_stamp_adopts_tables_made_without_migrations(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, create=False)
    with host.app.app_context():
        tickets_metadata.create_all(host.app.extensions["sqlalchemy"].engine)
        assert schema.current() == ()
    result = host.app.test_cli_runner().invoke(args=["tickets", "db", "stamp"])
    assert result.exit_code == 0, result.output
    with host.app.app_context():
        assert schema.current() == schema.heads()


def test_the_standalone_app_keeps_using_flask_db(runner):
    result = runner.invoke(args=["tickets", "db", "upgrade"])
    assert result.exit_code == 2
    assert "use 'flask db upgrade'" in result.output
