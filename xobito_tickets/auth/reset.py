"""Password reset for the standalone login: signed, expiring, single-use links sent through the outbox.

The token is an itsdangerous signature over the user id, the tenant id and a
fingerprint of the current password hash. It expires after
TICKETS_PASSWORD_RESET_MAX_AGE seconds, and it works once: setting a password
changes the hash (a new salt every time), so the fingerprint no longer matches. No
token is stored anywhere.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..db import begin_write, session
from ..mail.outbox import external_url, queue_email
from ..models import LoginFailure, LoginSession, OutboxEmail, Tenant, User, utcnow
from ..team.links import PersonLink, fingerprint
from ..team.services import hash_password, normalize_email
from .limits import account_key

SALT = "xobito-tickets.password-reset"
KIND = "password_reset"


#: A new password (a new salt every time) voids the link.
_LINK = PersonLink(SALT, "TICKETS_PASSWORD_RESET_MAX_AGE", lambda user: fingerprint(user.password_hash))


def make_reset_token(user):
    """Return a reset token for ``user``, valid until the password changes or it expires."""
    return _LINK.make(user)


def user_for_reset_token(token, tenant):
    """Return the user a still-valid ``token`` of ``tenant`` belongs to, or None."""
    return _LINK.user_for(token, tenant)


def request_password_reset(tenant, email):
    """Email a reset link to the active user of ``tenant`` with this address, if there is one.

    Says nothing about whether the address exists: the caller shows the same answer
    either way. At most TICKETS_PASSWORD_RESET_LIMIT emails per address and window.
    """
    email = normalize_email(email)
    user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == email))
    if user is None or not user.active:
        session.commit()
        return
    config = current_app.config
    begin_write()
    since = utcnow() - timedelta(seconds=config["TICKETS_LOGIN_WINDOW"])
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxEmail)
        .where(
            OutboxEmail.tenant_id == tenant.id,
            OutboxEmail.kind == KIND,
            OutboxEmail.recipient_email == user.email,
            OutboxEmail.created_at >= since,
        )
    )
    if recent >= config["TICKETS_PASSWORD_RESET_LIMIT"]:
        session.rollback()
        return
    tenant = session.get(Tenant, tenant.id)
    link = external_url("tickets.auth.password_reset", tenant=tenant.slug, token=make_reset_token(user))
    with force_locale(user.language or config.get("BABEL_DEFAULT_LOCALE", "en")):
        subject = _("Reset your password for %(tenant)s", tenant=tenant.name)
    queue_email(
        KIND,
        user,
        subject,
        {
            "locale": user.language,
            "timezone": user.timezone,
            "tenant_name": tenant.name,
            "recipient_name": user.name,
            "reset_url": link,
            "valid_minutes": max(1, config["TICKETS_PASSWORD_RESET_MAX_AGE"] // 60),
            "login_url": external_url("tickets.auth.login", tenant=tenant.slug),
        },
        tenant_id=tenant.id,
    )
    session.commit()


def reset_password(token, tenant, password):
    """Set a new password with ``token`` and end every login session of the user.

    Returns the user, or None if the token is invalid, expired or already used. The
    check and the change happen in one write transaction, so a token works once even
    if two requests race.
    """
    # Hashing takes a good fraction of a second: done before the write lock is taken.
    password_hash = hash_password(password)
    begin_write()
    try:
        user = _LINK.user_for(token, tenant, lock=True)
        if user is None:
            session.rollback()
            return None
        user.password_hash = password_hash
        # Whoever held a session (perhaps the reason for the reset) is logged out.
        session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
        # Failed logins no longer hold the owner of the address back: proving it resets them.
        session.execute(sa.delete(LoginFailure).where(LoginFailure.key == account_key(tenant, user.email)))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return user
