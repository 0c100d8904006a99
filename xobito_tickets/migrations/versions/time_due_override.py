"""Service levels: a due time set by hand on a ticket.

Revision ID: time_due_override
Revises: totp_encrypted
"""

import sqlalchemy as sa
from alembic import op

revision = "time_due_override"
down_revision = "totp_encrypted"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_override_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.drop_column("due_override_at")
