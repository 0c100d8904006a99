"""Bearer tokens: made, shown once, stored as a hash, looked up, revoked, rate-limited."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..db import begin_write, session
from ..models import User, utcnow
from ..tickets.transaction import commit_keeping_state
from .models import ApiToken

#: Every token starts with this, so a leaked one is easy to recognise (and to scan for).
TOKEN_PREFIX = "xt_"

#: Characters of a token kept in clear to tell tokens apart in the list.
SHOWN_CHARACTERS = 10


class TokenError(ValueError):
    """A refused token change, with a message fit to show next to the field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def hash_token(token):
    """Return the stored form of ``token``: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_token(user, name, read_only=False):
    """Make a token for ``user``; return ``(row, token)``. The token itself is never stored."""
    name = " ".join((name or "").split())
    if not name:
        raise TokenError("Give the token a name, e.g. what will use it.", field="name")
    if len(name) > 100:
        raise TokenError(f"The name can be at most 100 characters (it has {len(name)}).", field="name")
    if not user.active:
        raise TokenError("An inactive account cannot have API tokens.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:SHOWN_CHARACTERS],
        read_only=bool(read_only),
    )
    begin_write()
    session.add(row)
    commit_keeping_state()
    return row, token


def tokens_of(user):
    """Return every token of ``user``, newest first (revoked ones too: they show when they stopped)."""
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.tenant_id == user.tenant_id)
    return session.scalars(stmt.order_by(ApiToken.id.desc())).all()


def revoke_token(user, token_id):
    """Revoke the token ``token_id`` of ``user``; return it, or None if ``user`` has no such token."""
    begin_write()
    row = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.tenant_id == user.tenant_id
        )
    )
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    commit_keeping_state()
    return row


_LOOKUP = (
    sa.select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.tenant_id == sa.bindparam("tenant_id"))
)


def find_token(tenant_id, token):
    """Return ``(ApiToken, User)`` for a live token of the tenant and an active person, else None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = session.execute(_LOOKUP, {"token_hash": hash_token(token), "tenant_id": tenant_id}).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    return row, user


def count_request(token_id, limit, window_seconds):
    """Count one request of a token in its rate window; return seconds to wait, or 0 if allowed.

    One UPDATE, atomic across processes: it starts a new window when the old one is over,
    else adds one, and records the last use. The request that goes past the limit is
    answered 429 with the time left in the window.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=window_seconds)
    expired = sa.or_(ApiToken.window_started_at.is_(None), ApiToken.window_started_at <= window_start)
    begin_write()
    started, count = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(
            last_used_at=now,
            window_started_at=sa.case((expired, now), else_=ApiToken.window_started_at),
            window_count=sa.case((expired, 1), else_=ApiToken.window_count + 1),
        )
        .returning(ApiToken.window_started_at, ApiToken.window_count)
    ).one()
    commit_keeping_state()
    if count <= limit:
        return 0
    return max(1, int(window_seconds - (now - started).total_seconds()) + 1)
