"""Service levels: time settings with SLA targets, alert markers, and the SLA clock on tickets.

Revision ID: time
Revises: people
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "time"
down_revision = "workspace_tools"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tickets_time_settings",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("warn_before_minutes", sa.Integer(), nullable=False),
        sa.Column("autoclose_enabled", sa.Boolean(), nullable=False),
        sa.Column("autoclose_reminder_days", sa.Integer(), nullable=False),
        sa.Column("autoclose_close_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_time_settings_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tickets_time_settings")),
    )
    op.create_table(
        "tickets_time_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_time_alerts_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets_tickets.id"], name=op.f("fk_tickets_time_alerts_ticket_id_tickets_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_time_alerts")),
        sa.UniqueConstraint("ticket_id", "kind", "key", name="uq_tickets_time_alerts_ticket_kind_key"),
    )
    with op.batch_alter_table("tickets_time_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_time_alerts_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("first_response_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resolution_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sla_warn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sla_used_seconds", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("sla_clock_started_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_tickets_tickets_due", ["tenant_id", "due_at", "id"], unique=False)
        batch_op.create_index("ix_tickets_tickets_warn", ["sla_warn_at"], unique=False)

    # Existing tickets: the first staff reply is the first response; the clock runs from now for
    # tickets waiting on staff (Open, or Answered with the customer's message last) and is paused
    # for those waiting on the customer. No targets exist yet, so nothing falls due.
    tickets = sa.table(
        "tickets_tickets",
        sa.column("id"),
        sa.column("status"),
        sa.column("requester_id"),
        sa.column("first_response_at"),
        sa.column("sla_clock_started_at"),
    )
    replies = sa.table("tickets_replies", sa.column("ticket_id"), sa.column("author_id"), sa.column("created_at"))
    users = sa.table("tickets_users", sa.column("id"), sa.column("role"))
    staff_reply = (
        sa.select(sa.func.min(replies.c.created_at))
        .select_from(replies.join(users, users.c.id == replies.c.author_id))
        .where(
            replies.c.ticket_id == tickets.c.id,
            users.c.role.in_(("staff", "admin")),
            replies.c.author_id != tickets.c.requester_id,
        )
        .scalar_subquery()
    )
    op.execute(tickets.update().values(first_response_at=staff_reply))
    last_author_role = (
        sa.select(users.c.role)
        .select_from(replies.join(users, users.c.id == replies.c.author_id))
        .where(replies.c.ticket_id == tickets.c.id)
        .order_by(replies.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    # A naive UTC time, as the module stores every timestamp (the server's zone may be anything).
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(tickets.update().where(tickets.c.status == "open").values(sla_clock_started_at=now))
    op.execute(
        tickets.update()
        .where(tickets.c.status == "answered", last_author_role == "customer")
        .values(sla_clock_started_at=now)
    )


def downgrade():
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tickets_warn")
        batch_op.drop_index("ix_tickets_tickets_due")
        batch_op.drop_column("sla_clock_started_at")
        batch_op.drop_column("sla_used_seconds")
        batch_op.drop_column("sla_warn_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("resolution_due_at")
        batch_op.drop_column("first_response_due_at")
        batch_op.drop_column("first_response_at")
    with op.batch_alter_table("tickets_time_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_time_alerts_tenant_id"))
    op.drop_table("tickets_time_alerts")
    op.drop_table("tickets_time_settings")
