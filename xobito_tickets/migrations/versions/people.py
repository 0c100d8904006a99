"""people and accounts: languages, time zones, invitations, two-factor login (SPEC §20)

Revision ID: people
Revises: inbound
"""

import sqlalchemy as sa
from alembic import op

revision = "people"
down_revision = "inbound"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tickets_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tickets_tenants.id"], name=op.f("fk_tickets_recovery_codes_tenant_id_tickets_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["tickets_users.id"],
            name=op.f("fk_tickets_recovery_codes_user_id_tickets_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_recovery_codes")),
    )
    with op.batch_alter_table("tickets_recovery_codes", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_recovery_codes_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("tickets_tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_two_factor", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("tickets_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("muted_notifications", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_confirmed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("tickets_users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_confirmed_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("invited_at")
        batch_op.drop_column("muted_notifications")
        batch_op.drop_column("timezone")
        batch_op.drop_column("language")

    with op.batch_alter_table("tickets_tenants", schema=None) as batch_op:
        batch_op.drop_column("require_two_factor")

    with op.batch_alter_table("tickets_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_recovery_codes_user_id")

    op.drop_table("tickets_recovery_codes")
