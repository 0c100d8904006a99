"""staff workspace: internal notes (replies.kind), who wrote last, tags

Revision ID: workspace
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "workspace"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="reply", nullable=False))
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_message_by", sa.String(length=16), server_default="customer", nullable=False)
        )
    with op.batch_alter_table("tickets_queue_counts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting", sa.Integer(), server_default="0", nullable=False))

    # Existing tickets: the author of the newest reply decides who wrote last.
    op.execute(
        """
        UPDATE tickets_tickets SET last_message_by = 'staff'
        WHERE (
            SELECT u.role FROM tickets_replies r JOIN tickets_users u ON u.id = r.author_id
            WHERE r.ticket_id = tickets_tickets.id
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1
        ) IN ('staff', 'admin')
        """
    )
    op.execute(
        """
        UPDATE tickets_queue_counts SET waiting = (
            SELECT COUNT(*) FROM tickets_tickets t
            WHERE t.tenant_id = tickets_queue_counts.tenant_id
              AND t.department_id = tickets_queue_counts.department_id
              AND COALESCE(t.assignee_id, 0) = tickets_queue_counts.assignee_id
              AND t.priority = tickets_queue_counts.priority
              AND t.status = tickets_queue_counts.status
              AND t.last_message_by = 'customer'
        )
        """
    )

    op.create_table(
        "tickets_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_tags_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_tags")),
        sa.UniqueConstraint("tenant_id", "key", name="uq_tickets_tags_tenant_key"),
    )
    op.create_table(
        "tickets_ticket_tags",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tickets_tags.id"], name=op.f("fk_tickets_ticket_tags_tag_id_tickets_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_ticket_tags_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_ticket_tags_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "tag_id", name=op.f("pk_tickets_ticket_tags")),
    )
    with op.batch_alter_table("tickets_ticket_tags", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_ticket_tags_tag", ["tenant_id", "tag_id", "ticket_id"], unique=False)


def downgrade():
    with op.batch_alter_table("tickets_ticket_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_ticket_tags_tag")
    op.drop_table("tickets_ticket_tags")
    op.drop_table("tickets_tags")
    with op.batch_alter_table("tickets_queue_counts", schema=None) as batch_op:
        batch_op.drop_column("waiting")
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.drop_column("last_message_by")
    with op.batch_alter_table("tickets_replies", schema=None) as batch_op:
        batch_op.drop_column("kind")
