"""Rate limit on failed logins, per account and per client address (SPEC §13).

Failures are rows in the database, so the limit holds across every worker process
and machine that shares the database.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, request

from .db import session
from .models import LoginFailure, utcnow


def _keys(tenant, email):
    return (f"acct:{tenant.id}:{email}", f"addr:{request.remote_addr or '-'}")


def is_locked_out(tenant, email):
    """Return seconds to wait if this account or address has too many recent failures, else 0."""
    config = current_app.config
    window = config["TICKETS_LOGIN_WINDOW"]
    since = utcnow() - timedelta(seconds=window)
    account_key, address_key = _keys(tenant, email)
    limits = {
        account_key: config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"],
        address_key: config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"],
    }
    rows = session.execute(
        sa.select(LoginFailure.key, sa.func.count(), sa.func.min(LoginFailure.created_at))
        .where(LoginFailure.key.in_(list(limits)), LoginFailure.created_at >= since)
        .group_by(LoginFailure.key)
    ).all()
    for key, count, oldest in rows:
        if count >= limits[key]:
            return max(1, int((oldest + timedelta(seconds=window) - utcnow()).total_seconds()))
    return 0


def record_failure(tenant, email):
    """Count one failed login for the account and the address."""
    for key in _keys(tenant, email):
        session.add(LoginFailure(key=key))
    session.commit()


def clear_failures(tenant, email):
    """Forget the account's failures after a successful login."""
    account_key, _ = _keys(tenant, email)
    session.execute(sa.delete(LoginFailure).where(LoginFailure.key == account_key))
