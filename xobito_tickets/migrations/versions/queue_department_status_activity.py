"""Tickets: the department and status index also orders by last activity (a department's tickets of one
status, newest activity first, read from the index alone: the queue's filters and the CSV export).

Revision ID: queue_department_status_activity
Revises: search_lexemes
"""

from alembic import op

revision = "queue_department_status_activity"
down_revision = "search_lexemes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_tickets_tickets_department_status_activity",
        "tickets_tickets",
        ["tenant_id", "department_id", "status", "last_reply_at", "id"],
    )
    op.drop_index("ix_tickets_tickets_department_status", table_name="tickets_tickets")


def downgrade():
    op.create_index("ix_tickets_tickets_department_status", "tickets_tickets", ["tenant_id", "department_id", "status"])
    op.drop_index("ix_tickets_tickets_department_status_activity", table_name="tickets_tickets")
