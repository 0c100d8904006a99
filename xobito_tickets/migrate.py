"""The module's tables in a host's database: create, upgrade, stamp, and keep out of the host's autogenerate.

The module's migrations (``migrations/versions``) run with Alembic on the host's engine
but keep their version in a table of their own, ``tickets_alembic_version``, the way
Indico runs its plugins' migrations. The host's migration history stays linear and
untouched: no second head in ``flask db upgrade``, no module revisions to merge, and
a new host revision is never written into the module's directory. A host runs::

    flask db upgrade            # its own tables
    flask tickets db upgrade    # the helpdesk's

and passes :func:`include_object` to Flask-Migrate so ``flask db migrate`` leaves the
module's tables alone: ``Migrate(app, db, include_object=include_object)``.
"""

import os

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from flask import current_app

from .db import check_foreign_keys, configure_sqlite_engine, foreign_keys_off_for_migrations, metadata
from .models import UTCDateTime
from .search import schema as search_schema

#: The Alembic scripts, inside the package (so a wheel carries them).
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

#: Where the module records its schema version in a host's database.
VERSION_TABLE = "tickets_alembic_version"


def script_directory():
    """Return the Alembic script directory of the module's migrations."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return config, ScriptDirectory.from_config(config)


def _engine():
    engine = current_app.extensions["xobito_tickets"].db.engine
    configure_sqlite_engine(engine, current_app.config["TICKETS_SQLITE_CACHE_MB"])
    return engine


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _run(fn, destination=None, **env_options):
    """Run ``fn(rev, context)`` as Alembic's ``env.py`` would, on the app's engine and our version table."""
    config, script = script_directory()
    with EnvironmentContext(
        config, script, fn=lambda rev, context: fn(script, rev), destination_rev=destination, **env_options
    ) as env:
        with _engine().connect() as connection, foreign_keys_off_for_migrations(connection):
            env.configure(
                connection=connection,
                target_metadata=metadata,
                version_table=VERSION_TABLE,
                render_as_batch=True,
                compare_type=True,
                render_item=_render_item,
                include_object=search_schema.include_object,
                on_version_apply=check_foreign_keys,
            )
            with env.begin_transaction():
                env.run_migrations()
            connection.commit()


def upgrade(revision="heads"):
    """Upgrade the module's tables to ``revision`` (default: the newest)."""
    _run(lambda script, rev: script._upgrade_revs(revision, rev), destination=revision)


def downgrade(revision):
    """Downgrade the module's tables to ``revision`` (``"base"`` drops them all)."""
    _run(lambda script, rev: script._downgrade_revs(revision, rev), destination=revision)


def stamp(revision="heads"):
    """Record ``revision`` as the module's schema version without running migrations."""
    _run(lambda script, rev: script._stamp_revs(revision, rev), destination=revision)


def current():
    """Return the module's schema version(s) recorded in the database (empty if none)."""
    with _engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return tuple(context.get_current_heads())


def heads():
    """Return the newest revision(s) of the module's migrations."""
    return tuple(script_directory()[1].get_heads())


def create_all():
    """Create the module's tables (those missing) and stamp them as the newest version."""
    metadata.create_all(_engine())
    if not current():
        stamp("heads")


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook for a host: ignore the module's tables and version table.

    Pass it to Flask-Migrate, ``Migrate(app, db, include_object=include_object)``, or
    call it from your own hook. Without it ``flask db migrate`` would propose to drop
    the helpdesk's tables, which the host's models do not know.
    """
    if type_ == "table":
        return name not in metadata.tables and name != VERSION_TABLE and not search_schema.is_searchable_object(name)
    table = getattr(obj, "table", None)
    if table is not None and type_ in ("column", "index", "unique_constraint", "foreign_key_constraint"):
        return (
            table.name not in metadata.tables
            and table.name != VERSION_TABLE
            and not search_schema.is_searchable_object(table.name)
        )
    return True
