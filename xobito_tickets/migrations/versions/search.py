"""search: the full-text index (one document per ticket) and each tenant's search language

Revision ID: search
Revises: people
Create Date: 2026-12-07 01:30:00

"""
import sqlalchemy as sa
from alembic import op

from xobito_tickets.search import index, schema

# revision identifiers, used by Alembic.
revision = 'search'
down_revision = 'time'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets_tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_language', sa.String(length=32), nullable=True))

    op.create_table('tickets_search_documents',
    sa.Column('ticket_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('public_text', sa.Text(), nullable=False),
    sa.Column('staff_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tickets_tenants.id'], name=op.f('fk_tickets_search_documents_tenant_id_tickets_tenants')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets_tickets.id'], name=op.f('fk_tickets_search_documents_ticket_id_tickets_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_tickets_search_documents'))
    )
    with op.batch_alter_table('tickets_search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_search_documents_tenant', ['tenant_id', 'ticket_id'], unique=False)

    with op.batch_alter_table('tickets_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_tickets_search_probe', ['id', 'tenant_id', 'department_id', 'assignee_id', 'requester_id', 'status', 'priority'], unique=False)

    # The dialect's half (FTS5 table and triggers; unaccent, configurations, vector, GIN).
    bind = op.get_bind()
    schema.create_index_structures(bind)
    # Index the tickets that exist already, a batch at a time.
    bounds = bind.execute(sa.text('SELECT min(id), max(id) FROM tickets_tickets')).one()
    if bounds[0] is not None:
        configurations = {}
        for first in range(bounds[0], bounds[1] + 1, index.CHUNK):
            documents = index.build_documents(index.Ticket.id.between(first, first + index.CHUNK - 1), db=bind)
            index.write_documents(documents, configurations, db=bind)


def downgrade():
    schema.remove_index_structures(op.get_bind())
    with op.batch_alter_table('tickets_search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_search_documents_tenant')

    op.drop_table('tickets_search_documents')
    with op.batch_alter_table('tickets_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_tickets_search_probe')

    # Not in batch mode: copying tickets_tenants would break the foreign keys that point at it
    # (SQLite drops a column in place since 3.35).
    op.drop_column('tickets_tenants', 'search_language')
