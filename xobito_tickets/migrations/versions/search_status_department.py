"""search_status_department: each search document gains the token of its status in its department (``=xopen3``)

Revision ID: search_status_department
Revises: search_terms

Every document is rewritten once (SQLite re-tokenizes each in FTS5; PostgreSQL adds one
lexeme to each vector): about what ``flask tickets reindex`` costs.
"""

from alembic import op

revision = "search_status_department"
down_revision = "search_terms"
branch_labels = None
depends_on = None

_TOKEN = "'=x' || t.status || coalesce(t.department_id, 0)"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            f"UPDATE tickets_search_documents AS d SET filter_text = d.filter_text || ' ' || {_TOKEN}, "
            f"search_vector = d.search_vector || array_to_tsvector(ARRAY[{_TOKEN}]) "
            "FROM tickets_tickets AS t WHERE t.id = d.ticket_id AND position('=x' in d.filter_text) = 0"
        )
    elif bind.dialect.name == "sqlite":
        bind.exec_driver_sql(
            f"UPDATE tickets_search_documents SET filter_text = filter_text || ' ' || (SELECT {_TOKEN} "
            "FROM tickets_tickets AS t WHERE t.id = tickets_search_documents.ticket_id) "
            "WHERE instr(filter_text, '=x') = 0"
        )


def downgrade():
    # The token stays until the next reindex; no search of the older code reads it.
    pass
