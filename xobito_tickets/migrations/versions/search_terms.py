"""search_terms: SQLite's search vocabulary (every term of the index, so a prefix is searched as its words)

Revision ID: search_terms
Revises: queue_department_status_activity
"""

from alembic import op

from xobito_tickets.search import schema

revision = "search_terms"
down_revision = "queue_department_status_activity"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not schema.has_filter_column(bind):
        return  # PostgreSQL keeps its own vocabulary of lexemes (search_lexemes)
    bind.exec_driver_sql(schema.SQLITE_TERM_DDL)
    schema.fill_terms(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {schema.TERM_TABLE}")
