"""Bearer tokens: made, shown once, stored as a hash, looked up, revoked, rate-limited."""

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ..auth.twofactor_service import held_at_enrolment
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
        raise TokenError(_("Give the token a name, e.g. what will use it."), field="name")
    if len(name) > 100:
        raise TokenError(
            _("The name can be at most %(most)s characters (it has %(count)s).", most=100, count=len(name)),
            field="name",
        )
    if not user.active:
        raise TokenError(_("An inactive account cannot have API tokens."))
    if held_at_enrolment(user, user.tenant):
        # A token would let the person act without the second factor the workspace requires.
        raise TokenError(
            _(
                "%(email)s must set up two-factor login first: the workspace requires it for staff and admins.",
                email=user.email,
            )
        )
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
    """Return ``(ApiToken, User)`` for a live token of the tenant and an active person, else None.

    The caller still asks :func:`~xobito_tickets.auth.twofactor_service.held_at_enrolment`: a
    token made before the workspace required two-factor login is good again once its person has it.
    """
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = session.execute(_LOOKUP, {"token_hash": hash_token(token), "tenant_id": tenant_id}).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    return row, user


#: A process writes its count of a token's requests to the database after this many
#: requests, or after FLUSH_SECONDS, whichever comes first (see :class:`RateCounter`).
FLUSH_EVERY = 10
FLUSH_SECONDS = 1.0


@dataclass
class _Seen:
    """What this process knows of one token's window: as of its last write, plus its own since."""

    started: datetime
    counted: int
    pending: int = 0
    flushed_at: float = 0.0


class RateCounter:
    """Per-token request counts, kept in the database so that the limit holds across processes.

    A write per request would make every GET of the API a write transaction (on SQLite, the
    database's one write lock). So each process adds its requests up and writes them in one
    UPDATE after FLUSH_EVERY requests or FLUSH_SECONDS, reading back the total of every
    process. Between writes it decides from that total plus its own requests: a token can
    overshoot the limit by at most FLUSH_EVERY requests per process. ``last_used_at`` is
    written with each flush, so it is at most a second or so behind.
    """

    def __init__(self):
        self._seen = {}
        self._lock = threading.Lock()

    def count(self, token_id, limit, window_seconds):
        """Count one request of the token; return seconds to wait (429), or 0 if it may go on."""
        now = utcnow()
        window = timedelta(seconds=window_seconds)
        with self._lock:
            seen = self._seen.get(token_id)
            if (
                seen is not None
                and seen.pending + 1 < FLUSH_EVERY
                and time.monotonic() - seen.flushed_at < FLUSH_SECONDS
                and now - seen.started < window
            ):
                seen.pending += 1
                return _wait(seen.started, seen.counted + seen.pending, limit, now, window_seconds)
            # Requests not yet written belong to their window: once it is over they count no more.
            pending = 1
            if seen is not None:
                if now - seen.started < window:
                    pending += seen.pending
                seen.pending = 0
        started, counted = _flush(token_id, pending, now, window)
        with self._lock:
            self._seen[token_id] = _Seen(started, counted, 0, time.monotonic())
        return _wait(started, counted, limit, now, window_seconds)


def _wait(started, count, limit, now, window_seconds):
    if count <= limit:
        return 0
    return max(1, int(window_seconds - (now - started).total_seconds()) + 1)


def _flush(token_id, pending, now, window):
    """Add ``pending`` requests to the token's window in one UPDATE; return (window start, total)."""
    expired = sa.or_(ApiToken.window_started_at.is_(None), ApiToken.window_started_at <= now - window)
    begin_write()
    started, counted = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(
            last_used_at=now,
            window_started_at=sa.case((expired, now), else_=ApiToken.window_started_at),
            window_count=sa.case((expired, pending), else_=ApiToken.window_count + pending),
        )
        .returning(ApiToken.window_started_at, ApiToken.window_count)
    ).one()
    commit_keeping_state()
    return started, counted
