"""Invitations and sign-up: signed, single-use links with which a person sets their own password.

An admin invites a person by email, or a visitor signs up; either way the account is made
without a password and a link is emailed. The token is an itsdangerous signature over
the user id, the tenant id and a fingerprint of the password hash and ``invited_at``:
setting the password, resending (a new ``invited_at``) or revoking (none) each void every
earlier link, and nothing secret is stored. Sign-up answers the same for every address:
an address that has an account already gets an email offering a password reset instead.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from ..db import begin_write, session
from ..mail.outbox import external_url, queue_email
from ..models import LoginSession, User, utcnow
from .links import PersonLink, fingerprint

SALT = "xobito-tickets.invitation"
INVITATION = "invitation"
SIGNUP = "signup_verify"
PASSWORD_LINK = "password_link"


def _invitation_fingerprint(user):
    invited = user.invited_at.isoformat() if user.invited_at is not None else None
    return fingerprint(user.password_hash, invited)


#: Setting the password, resending (a new ``invited_at``) or revoking (none) voids the link.
_LINK = PersonLink(SALT, "TICKETS_INVITATION_MAX_AGE", _invitation_fingerprint)


def make_invitation_token(user):
    """Return the link token of ``user``'s pending invitation."""
    return _LINK.make(user)


def user_for_invitation_token(token, tenant, lock=False):
    """Return the invited user of ``tenant`` a still-valid ``token`` names, or None."""
    user = _LINK.user_for(token, tenant, lock=lock)
    if user is None or user.invited_at is None:
        return None
    return user


def accept_invitation(token, tenant, password):
    """Set the invited person's password; return the user, or None if the link is void.

    Check and change happen in one write transaction, so a link works once even when
    two requests race.
    """
    password_hash = generate_password_hash(password)
    begin_write()
    try:
        user = user_for_invitation_token(token, tenant, lock=True)
        if user is None:
            session.rollback()
            return None
        user.password_hash = password_hash
        user.invited_at = None
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return user


def _days(seconds):
    return max(1, seconds // 86400)


def queue_invitation(user, tenant, inviter=None, kind=INVITATION):
    """Add the email with ``user``'s link to the outbox (the caller commits)."""
    link = external_url("tickets.auth.invitation_accept", tenant=tenant.slug, token=make_invitation_token(user))
    with force_locale(user.language or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        if kind == SIGNUP:
            subject = _("Confirm your email address for %(tenant)s", tenant=tenant.name)
        elif kind == PASSWORD_LINK:
            subject = _("Choose a new password for %(tenant)s", tenant=tenant.name)
        else:
            subject = _("You are invited to the %(tenant)s helpdesk", tenant=tenant.name)
    return queue_email(
        kind,
        user,
        subject,
        {
            "tenant_name": tenant.name,
            "recipient_name": user.name,
            "inviter_name": inviter.name if inviter is not None else None,
            "accept_url": link,
            "valid_days": _days(current_app.config["TICKETS_INVITATION_MAX_AGE"]),
            "locale": user.language,
            "timezone": user.timezone,
        },
        tenant_id=tenant.id,
    )


def invite(user, tenant, inviter, kind=INVITATION):
    """Start (or restart) ``user``'s invitation: earlier links stop working, a new one is emailed.

    ``kind`` ``PASSWORD_LINK``: an admin asks a person who has a password already to
    choose a new one (the old one works until then). Admins never choose passwords.
    """
    begin_write()
    try:
        user = session.get(User, user.id, populate_existing=True, with_for_update=True)
        user.invited_at = utcnow()
        if not user.password_hash:
            user.active = True  # re-inviting someone whose invitation was revoked
        session.flush()
        queue_invitation(user, tenant, inviter, kind=kind)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return user


def revoke_invitation(user):
    """Void ``user``'s pending invitation and deactivate the account that was never used."""
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    if user.invited_at is None:
        session.rollback()
        return False
    user.invited_at = None
    if not user.password_hash:
        user.active = False
    session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))
    session.commit()
    return True
