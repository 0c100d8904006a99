"""The whole chain of migrations runs down to base and up again over a database full of data."""

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from xobito_tickets.db import metadata, session
from xobito_tickets.demo import build_demo
from xobito_tickets.migrate import script_directory
from xobito_tickets.models import Reply, Ticket
from xobito_tickets.search.schema import is_searchable_object

from ..conftest import schema_differences


def _engine(app):
    return app.extensions["sqlalchemy"].engine


def _tables(app):
    names = sa.inspect(_engine(app)).get_table_names()
    return {name for name in names if not is_searchable_object(name)}


def _revisions_newest_first():
    _, script = script_directory()
    assert isinstance(script, ScriptDirectory)
    return [revision.revision for revision in script.walk_revisions()]


def _differences(app):
    with _engine(app).connect() as connection:
        return schema_differences(connection)


def _foreign_keys_enforced(app):
    with _engine(app).connect() as connection:
        return connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_migration_goes_down_to_base_and_up_again_with_tickets_in_the_database(empty_app):
    revisions = _revisions_newest_first()
    assert "time" in revisions and revisions[-1] == "0001"
    with empty_app.app_context():
        upgrade()
        build_demo()
        session.commit()
        tickets = session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        replies = session.scalar(sa.select(sa.func.count()).select_from(Reply))
        session.remove()
        assert tickets > 5 and replies > 5
        # One revision at a time: a failing step names itself. Each step down keeps the
        # tickets and replies (every table but the one a revision made keeps its rows).
        for newer, older in zip(revisions, revisions[1:], strict=False):
            downgrade(revision=older)
            with _engine(empty_app).connect() as connection:
                assert connection.scalar(sa.text("SELECT count(*) FROM tickets_tickets")) == tickets, newer
                assert connection.scalar(sa.text("SELECT count(*) FROM tickets_replies")) == replies, newer
        downgrade(revision="base")
        assert _tables(empty_app) == {"alembic_version"}
        if _engine(empty_app).dialect.name == "sqlite":
            # Turned off only for the migrations' own transaction.
            assert _foreign_keys_enforced(empty_app)

        upgrade()
        assert _differences(empty_app) == []
        assert set(metadata.tables) | {"alembic_version"} == _tables(empty_app)
        build_demo("again")
        session.commit()
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) > 5
