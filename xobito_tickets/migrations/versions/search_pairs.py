"""search_pairs: PostgreSQL's search vectors gain their pairs of neighbouring words (``~export timeout``)

Revision ID: search_pairs
Revises: search_status_department

A two-word phrase is then one lexeme of the GIN index (see ``schema.PAIR_MARK``). Every
vector is rewritten once, as ``flask tickets reindex`` would, and the vectors' statistics keep
more common elements (the pairs would crowd out the filter tokens). SQLite's FTS5 keeps
positions in its index and has nothing to add.
"""

from alembic import op

from xobito_tickets.search import schema

revision = "search_pairs"
down_revision = "search_status_department"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and schema.has_filter_column(bind):
        bind.exec_driver_sql(schema.PG_PAIRS_FUNCTION)
        bind.exec_driver_sql(
            f"UPDATE tickets_search_documents SET {schema.VECTOR_COLUMN} = {schema.with_pairs(schema.VECTOR_COLUMN)} "
            f"WHERE {schema.VECTOR_COLUMN} IS NOT NULL"
        )
        bind.exec_driver_sql(schema.PG_VECTOR_STATISTICS)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and schema.has_filter_column(bind):
        column = schema.VECTOR_COLUMN
        bind.exec_driver_sql(
            f"UPDATE tickets_search_documents SET {column} = ts_delete({column}, ARRAY("
            f"SELECT u.lexeme FROM unnest({column}) AS u WHERE left(u.lexeme, 1) = '{schema.PAIR_MARK}')) "
            f"WHERE {column} IS NOT NULL"
        )
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {schema.PAIRS_FUNCTION_SIGNATURE}")
