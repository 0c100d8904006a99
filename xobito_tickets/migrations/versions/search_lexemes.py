"""search_lexemes: PostgreSQL's search vocabulary (the lexemes a prefix stands for)

Revision ID: search_lexemes
Revises: search_tokens
Create Date: 2026-12-07 08:00:00

"""
from alembic import op

from xobito_tickets.search import schema

# revision identifiers, used by Alembic.
revision = 'search_lexemes'
down_revision = 'search_tokens'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return  # SQLite's FTS5 answers a prefix from its own terms
    schema.create_index_structures(bind)
    schema.fill_lexemes(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS {schema.LEXEME_TABLE}')
