"""Rate limit on failed logins, per account and per client address (SPEC §13).

Attempts are rows in the database, so the limit holds across every worker process
and machine that shares the database. An attempt is written *before* the password
is checked and counted with the rows already there: many parallel guesses cannot
all slip through the check before any of them is recorded. A successful login
removes its own rows and the account's earlier failures; a refused one removes its
rows too, so the table holds only real failures, and rows older than the window are
pruned on every failure.
"""

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request

from ..db import begin_write, session
from ..models import LoginFailure, utcnow


def client_key(remote_addr):
    """Return the limiter key of a client address; IPv6 counts per /64 (one host's usual share)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "addr:-"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return f"addr:{address.ipv4_mapped}"
        return f"addr:{ipaddress.ip_network(f'{address}/64', strict=False).network_address}/64"
    return f"addr:{address}"


def account_key(tenant, email):
    """Return the limiter key of an account; hashed, as the email may be anything a client sends."""
    digest = hashlib.sha256(str(email).encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"acct:{int(tenant.id)}:{digest}"


@dataclass
class LoginAttempt:
    """One login attempt, counted before the password is checked."""

    tenant: object
    email: str
    #: Seconds to wait before trying again; 0 if the attempt may go ahead.
    wait: int = 0
    row_ids: list = field(default_factory=list)

    def succeeded(self):
        """Forget this attempt and the account's earlier failures (commit follows with the login)."""
        begin_write()
        session.execute(
            sa.delete(LoginFailure).where(
                sa.or_(LoginFailure.id.in_(self.row_ids), LoginFailure.key == account_key(self.tenant, self.email))
            )
        )

    def passed_first_step(self):
        """Forget this attempt only: the password was right, the second factor is still to come.

        The account's earlier failures stay, so a known password cannot be used to wipe
        the count of wrong codes (the code step counts on the same account key).
        """
        begin_write()
        session.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(self.row_ids)))
        session.commit()

    def failed(self):
        """Keep this attempt as a failure and prune failures older than the window."""
        begin_write()
        prune_failures()
        session.commit()


def _limits():
    config = current_app.config
    return config["TICKETS_LOGIN_WINDOW"], {
        "acct": config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"],
        "addr": config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"],
    }


def start_attempt(tenant, email):
    """Record a login attempt for the account and the address; ``wait`` > 0 refuses it (429)."""
    window, limits = _limits()
    keys = [account_key(tenant, email), client_key(request.remote_addr)]
    rows = [LoginFailure(key=key) for key in keys]
    # Insert and count in one transaction that holds a lock, so parallel guesses queue up
    # and each sees the ones before it. On SQLite begin_write takes the database write
    # lock; on PostgreSQL a transaction-scoped advisory lock per key does the same.
    begin_write()
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(keys):
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": _lock_id(key)})
    session.add_all(rows)
    session.flush()
    attempt = LoginAttempt(tenant=tenant, email=email, row_ids=[row.id for row in rows])
    now = utcnow()
    since = now - timedelta(seconds=window)
    counts = session.execute(
        sa.select(LoginFailure.key, sa.func.count(), sa.func.min(LoginFailure.created_at))
        .where(LoginFailure.key.in_(keys), LoginFailure.created_at >= since)
        .group_by(LoginFailure.key)
    ).all()
    for key, count, oldest in counts:
        # ``count`` includes this attempt: the limit is the number of failures allowed.
        if count > limits[key.split(":", 1)[0]]:
            attempt.wait = max(attempt.wait, max(1, int((oldest + timedelta(seconds=window) - now).total_seconds())))
    if attempt.wait:
        session.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(attempt.row_ids)))
    session.commit()
    return attempt


def _lock_id(key):
    """Return a signed 64-bit advisory lock id for a limiter key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def prune_failures():
    """Delete failures older than the window: they no longer count."""
    window, _ = _limits()
    session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < utcnow() - timedelta(seconds=window)))
