"""API tokens, idempotency keys, webhook endpoints and deliveries (SPEC §17, §18)

Revision ID: api
Revises: people
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "api"
down_revision = "people"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tickets_webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=255), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_webhook_endpoints_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_tickets_webhook_endpoints_tenant_id"), "tickets_webhook_endpoints", ["tenant_id"], unique=False
    )
    op.create_table(
        "tickets_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("window_started_at", sa.DateTime(), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_api_tokens_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["tickets_users.id"],
            name=op.f("fk_tickets_api_tokens_user_id_tickets_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tickets_api_tokens_token_hash")),
    )
    op.create_index("ix_tickets_api_tokens_user", "tickets_api_tokens", ["user_id", "id"], unique=False)
    op.create_table(
        "tickets_webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["tickets_webhook_endpoints.id"],
            name=op.f("fk_tickets_webhook_deliveries_endpoint_id_tickets_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_webhook_deliveries_tenant_id_tickets_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_webhook_deliveries")),
        sa.UniqueConstraint("uid", name=op.f("uq_tickets_webhook_deliveries_uid")),
    )
    op.create_index(
        "ix_tickets_webhook_deliveries_due",
        "tickets_webhook_deliveries",
        ["status", "next_attempt_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tickets_webhook_deliveries_endpoint", "tickets_webhook_deliveries", ["endpoint_id", "id"], unique=False
    )
    op.create_table(
        "tickets_api_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_api_idempotency_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["tickets_api_tokens.id"],
            name=op.f("fk_tickets_api_idempotency_token_id_tickets_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_api_idempotency")),
        sa.UniqueConstraint("token_id", "key", name="uq_tickets_api_idempotency_token_key"),
    )
    op.create_index("ix_tickets_api_idempotency_created", "tickets_api_idempotency", ["created_at"], unique=False)


def downgrade():
    op.drop_index("ix_tickets_api_idempotency_created", table_name="tickets_api_idempotency")
    op.drop_table("tickets_api_idempotency")
    op.drop_index("ix_tickets_webhook_deliveries_endpoint", table_name="tickets_webhook_deliveries")
    op.drop_index("ix_tickets_webhook_deliveries_due", table_name="tickets_webhook_deliveries")
    op.drop_table("tickets_webhook_deliveries")
    op.drop_index("ix_tickets_api_tokens_user", table_name="tickets_api_tokens")
    op.drop_table("tickets_api_tokens")
    op.drop_index(op.f("ix_tickets_webhook_endpoints_tenant_id"), table_name="tickets_webhook_endpoints")
    op.drop_table("tickets_webhook_endpoints")
