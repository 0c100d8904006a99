"""reports and satisfaction: ratings, report facts, counts and duration histograms per day, week and month

Revision ID: reports
Revises: people, time
"""

import sqlalchemy as sa
from alembic import op

revision = "reports"
down_revision = "search"
branch_labels = None
depends_on = None

#: Bucket columns of the duration histograms (xobito_tickets/reports/buckets.py, frozen here).
BUCKETS = 86
DAY_COUNTERS = ('created', 'closed', 'responded', 'rated_good', 'rated_bad', 'response_sla_met', 'response_sla_missed', 'resolution_sla_met', 'resolution_sla_missed')


def upgrade():
    op.create_table(
        "tickets_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_ratings_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_ratings_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_ratings")),
        sa.UniqueConstraint("ticket_id", name="uq_tickets_ratings_ticket_id"),
    )
    with op.batch_alter_table("tickets_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_ratings_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tickets_report_facts",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("first_response_day", sa.Date(), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("rated_day", sa.Date(), nullable=True),
        sa.Column("response_sla_met", sa.Boolean(), nullable=True),
        sa.Column("resolution_sla_met", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_report_facts_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets_tickets.id"],
            name=op.f("fk_tickets_report_facts_ticket_id_tickets_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_tickets_report_facts")),
    )
    with op.batch_alter_table("tickets_report_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_report_facts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tickets_report_counts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("assignee_id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in DAY_COUNTERS),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_report_counts_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "grain", "period", "department_id", "assignee_id", name=op.f("pk_tickets_report_counts")
        ),
    )
    op.create_table(
        "tickets_report_durations",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("metric", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("department_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("assignee_id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(f"b{i:02d}", sa.Integer(), nullable=False) for i in range(BUCKETS)),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_report_durations_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "grain",
            "period",
            "metric",
            "department_id",
            "assignee_id",
            name=op.f("pk_tickets_report_durations"),
        ),
    )


def downgrade():
    op.drop_table("tickets_report_durations")
    op.drop_table("tickets_report_counts")
    with op.batch_alter_table("tickets_report_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_report_facts_tenant_id"))
    op.drop_table("tickets_report_facts")
    with op.batch_alter_table("tickets_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_ratings_tenant_id"))
    op.drop_table("tickets_ratings")
