"""staff workspace tools: canned replies, CC addresses, merged tickets

Revision ID: workspace_tools
Revises: people
"""

import sqlalchemy as sa
from alembic import op

revision = "workspace_tools"
down_revision = "api"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_tickets_tickets_merged_into_id_tickets_tickets"), "tickets_tickets", ["merged_into_id"], ["id"]
        )

    op.create_table(
        "tickets_canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["tickets_departments.id"],
            name=op.f("fk_tickets_canned_replies_department_id_tickets_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["tickets_users.id"], name=op.f("fk_tickets_canned_replies_owner_id_tickets_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_canned_replies_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_canned_replies")),
    )
    with op.batch_alter_table("tickets_canned_replies", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_canned_replies_tenant_title", ["tenant_id", "title", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_canned_replies_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_canned_replies_department_id"), ["department_id"], unique=False)

    op.create_table(
        "tickets_ccs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["tickets_users.id"], name=op.f("fk_tickets_ccs_added_by_id_tickets_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_ccs_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets_tickets.id"], name=op.f("fk_tickets_ccs_ticket_id_tickets_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_ccs")),
        sa.UniqueConstraint("ticket_id", "email", name="uq_tickets_ccs_ticket_email"),
    )
    with op.batch_alter_table("tickets_ccs", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_ccs_tenant_email", ["tenant_id", "email"], unique=False)


def downgrade():
    with op.batch_alter_table("tickets_ccs", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_ccs_tenant_email")
    op.drop_table("tickets_ccs")
    with op.batch_alter_table("tickets_canned_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_canned_replies_department_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_canned_replies_owner_id"))
        batch_op.drop_index("ix_tickets_canned_replies_tenant_title")
    op.drop_table("tickets_canned_replies")
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_tickets_tickets_merged_into_id_tickets_tickets"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
