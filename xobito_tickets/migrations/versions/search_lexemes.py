"""search_lexemes: the search's vocabulary (the terms a prefix stands for): a table on PostgreSQL, fts5vocab on SQLite

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
    schema.create_index_structures(bind)
    if bind.dialect.name == 'postgresql':
        schema.fill_lexemes(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS {schema.LEXEME_TABLE}')
    elif bind.dialect.name == 'sqlite':
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS {schema.VOCABULARY_TABLE}')
