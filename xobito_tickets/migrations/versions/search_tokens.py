"""search_tokens: the filter tokens of the search documents (status, department … in the index)

Revision ID: search_tokens
Revises: time_due_override
Create Date: 2026-12-07 04:30:00

"""
import sqlalchemy as sa
from alembic import op

from xobito_tickets.search import index, schema

# revision identifiers, used by Alembic.
revision = 'search_tokens'
down_revision = 'time_due_override'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    # The FTS5 table gains a column: dropped with its triggers, made again once the old
    # documents are gone (a trigger deleting from an empty index would corrupt it).
    schema.drop_index_structures(bind)
    bind.execute(sa.text('DELETE FROM tickets_search_documents'))
    # Not in batch mode: SQLite adds a column in place.
    op.add_column('tickets_search_documents', sa.Column('filter_text', sa.Text(), server_default='', nullable=False))
    schema.create_index_structures(bind)
    # Every document again, in the new shape (with its filter tokens).
    bounds = bind.execute(sa.text('SELECT min(id), max(id) FROM tickets_tickets')).one()
    if bounds[0] is not None:
        configurations = {}
        for first in range(bounds[0], bounds[1] + 1, index.CHUNK):
            documents = index.build_documents(index.Ticket.id.between(first, first + index.CHUNK - 1), db=bind)
            index.write_documents(documents, configurations, db=bind)


#: The FTS5 table and triggers of the ``search`` revision (three text columns).
_SQLITE_BEFORE = [
    """CREATE VIRTUAL TABLE tickets_search_fts USING fts5(
        subject, public_text, staff_text,
        content='tickets_search_documents', content_rowid='ticket_id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER tickets_search_documents_ai AFTER INSERT ON tickets_search_documents BEGIN
        INSERT INTO tickets_search_fts(rowid, subject, public_text, staff_text)
        VALUES (new.ticket_id, new.subject, new.public_text, new.staff_text);
    END""",
    """CREATE TRIGGER tickets_search_documents_ad AFTER DELETE ON tickets_search_documents BEGIN
        INSERT INTO tickets_search_fts(tickets_search_fts, rowid, subject, public_text, staff_text)
        VALUES ('delete', old.ticket_id, old.subject, old.public_text, old.staff_text);
    END""",
    """CREATE TRIGGER tickets_search_documents_au AFTER UPDATE ON tickets_search_documents BEGIN
        INSERT INTO tickets_search_fts(tickets_search_fts, rowid, subject, public_text, staff_text)
        VALUES ('delete', old.ticket_id, old.subject, old.public_text, old.staff_text);
        INSERT INTO tickets_search_fts(rowid, subject, public_text, staff_text)
        VALUES (new.ticket_id, new.subject, new.public_text, new.staff_text);
    END""",
    "INSERT INTO tickets_search_fts(tickets_search_fts) VALUES ('rebuild')",
]


def downgrade():
    bind = op.get_bind()
    schema.drop_index_structures(bind)
    op.drop_column('tickets_search_documents', 'filter_text')
    if bind.dialect.name == 'sqlite':
        for statement in _SQLITE_BEFORE:
            bind.exec_driver_sql(statement)
    # PostgreSQL's vectors keep the filter lexemes until the next reindex; no word matches them.
