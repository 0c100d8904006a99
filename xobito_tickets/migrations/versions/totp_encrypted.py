"""two-factor secrets encrypted at rest (Fernet, key derived from SECRET_KEY)

Revision ID: totp_encrypted
Revises: reports

The column grows from 64 to 255 characters (a sealed secret has 140). The change goes
through a new column, native ``DROP COLUMN`` and ``RENAME COLUMN`` (SQLite 3.35+ and
PostgreSQL both have them): a batch "recreate" of ``tickets_users`` would drop the
table that tickets, replies and recovery codes point at, which SQLite's enforced foreign
keys forbid (or answer by cascading). The secrets are sealed with the running app's
``SECRET_KEY``, so run it with the app's real settings (``flask tickets db upgrade``).
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from xobito_tickets.auth import secretbox

revision = "totp_encrypted"
down_revision = "reports"
branch_labels = None
depends_on = None

_users = sa.table("tickets_users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _swap_column(length, transform):
    """Replace ``totp_secret`` by a column of ``length`` holding ``transform(old value)`` for every row."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None))).all()
    # Every value first: a secret that cannot be converted stops the migration before any change.
    values = [(user_id, transform(user_id, value)) for user_id, value in rows]
    op.execute(f"ALTER TABLE tickets_users ADD COLUMN totp_secret_new VARCHAR({length})")
    new = sa.table("tickets_users", sa.column("id", sa.Integer), sa.column("totp_secret_new", sa.String))
    for user_id, value in values:
        bind.execute(sa.update(new).where(new.c.id == user_id).values(totp_secret_new=value))
    op.execute("ALTER TABLE tickets_users DROP COLUMN totp_secret")
    op.execute("ALTER TABLE tickets_users RENAME COLUMN totp_secret_new TO totp_secret")


def _seal(_user_id, value):
    return value if secretbox.is_sealed(value) else secretbox.seal(value, current_app.config)


def _unseal(user_id, value):
    if not secretbox.is_sealed(value):
        return value
    secret = secretbox.unseal(value, current_app.config)
    if secret is None:
        raise RuntimeError(
            f"The two-factor secret of user {user_id} cannot be decrypted with SECRET_KEY or "
            "SECRET_KEY_FALLBACKS: run the downgrade with the key the secrets were sealed with."
        )
    return secret


def upgrade():
    _swap_column(255, _seal)


def downgrade():
    _swap_column(64, _unseal)
