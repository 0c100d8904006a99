"""Sign-up that reveals nothing: the same answer for every address, the rest by email.

A new address gets a link to confirm it and choose a password (the account is usable
after that); an address that has an account already gets an email offering to log in
or reset the password. Nobody can tell from the page which of the two happened.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..db import begin_write, session
from ..mail.outbox import external_url, queue_email
from ..models import OutboxEmail, Role, Tenant, User, utcnow
from ..team.invitations import SIGNUP, queue_invitation
from .reset import make_reset_token

SIGNUP_EXISTS = "signup_exists"


def _recent_emails(tenant, email, kinds):
    since = utcnow() - timedelta(seconds=current_app.config["TICKETS_LOGIN_WINDOW"])
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxEmail)
        .where(
            OutboxEmail.tenant_id == tenant.id,
            OutboxEmail.kind.in_(kinds),
            OutboxEmail.recipient_email == email,
            OutboxEmail.created_at >= since,
        )
    )


def sign_up(tenant, email, name, language=None):
    """Handle a sign-up for ``email``: a new address gets a confirmation link, a known one a reset offer.

    The caller shows the same answer either way, so the form reveals nothing about who
    has an account. At most TICKETS_PASSWORD_RESET_LIMIT emails per address and window.
    """
    begin_write()
    try:
        tenant = session.get(Tenant, tenant.id)
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == email))
        if _recent_emails(tenant, email, (SIGNUP, SIGNUP_EXISTS)) >= current_app.config["TICKETS_PASSWORD_RESET_LIMIT"]:
            session.rollback()
            return
        if user is None:
            user = User(
                tenant_id=tenant.id,
                email=email,
                name=name,
                role=Role.CUSTOMER.value,
                language=language,
                invited_at=utcnow(),
            )
            session.add(user)
            session.flush()
            queue_invitation(user, tenant, kind=SIGNUP)
        elif user.active:
            _queue_account_exists(user, tenant)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _queue_account_exists(user, tenant):
    with force_locale(user.language or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        subject = _("You already have an account at %(tenant)s", tenant=tenant.name)
    queue_email(
        SIGNUP_EXISTS,
        user,
        subject,
        {
            "tenant_name": tenant.name,
            "recipient_name": user.name,
            "reset_url": external_url("tickets.auth.password_reset", tenant=tenant.slug, token=make_reset_token(user)),
            "login_url": external_url("tickets.auth.login", tenant=tenant.slug),
            "valid_minutes": max(1, current_app.config["TICKETS_PASSWORD_RESET_MAX_AGE"] // 60),
            "locale": user.language,
            "timezone": user.timezone,
        },
        tenant_id=tenant.id,
    )
