"""Two-factor login for a person: enrol, confirm, check a login code, recovery codes, switch off."""

import hmac
import logging

import sqlalchemy as sa
from flask import current_app

from ..db import begin_write, session
from ..models import User, utcnow
from . import secretbox, twofactor
from .models import RecoveryCode

log = logging.getLogger(__name__)


def needs_enrolment(user, tenant):
    """Return True if ``tenant`` requires two-factor login of ``user`` (staff or admin) who has none yet."""
    return bool(
        user is not None
        and tenant is not None
        and tenant.require_two_factor
        and user.is_staff
        and not user.has_two_factor
    )


def held_at_enrolment(user, tenant):
    """Return True if ``user`` may do nothing but set up two-factor login (the standalone login's rule).

    An embedding site's own login decides about second factors, so there it is never True.
    Pages, API requests and token creation all ask this one question.
    """
    if current_app.config.get("TICKETS_AUTH", "standalone") != "standalone":
        return False
    return needs_enrolment(user, tenant)


def needs_enrolment_if_off(user, tenant):
    """Return True if ``tenant`` requires two-factor login of ``user`` (so it may not be switched off)."""
    return bool(user is not None and tenant is not None and tenant.require_two_factor and user.is_staff)


def confirm_enrolment(user, secret, code, for_time=None):
    """Switch two-factor login on with ``secret`` if ``code`` matches it; return the recovery codes, or None.

    Until then the secret lives only in the person's session (the set-up page is a GET
    and changes nothing): an abandoned set-up leaves no trace.
    """
    step = twofactor.verify_totp(secret, code, for_time=for_time)
    if step is None:
        return None
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    if user.has_two_factor:
        session.rollback()
        return None
    user.totp_secret = secretbox.seal(secret)
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(user)
    session.commit()
    return codes


def _replace_recovery_codes(user):
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = twofactor.new_recovery_codes()
    session.add_all(
        RecoveryCode(tenant_id=user.tenant_id, user_id=user.id, code_hash=twofactor.hash_recovery_code(code))
        for code in codes
    )
    return codes


def new_recovery_codes(user):
    """Replace ``user``'s recovery codes with new ones and return them (shown once)."""
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    if not user.has_two_factor:
        session.rollback()
        return None
    codes = _replace_recovery_codes(user)
    session.commit()
    return codes


def unused_recovery_codes(user):
    """Return how many of ``user``'s recovery codes are left."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def check_login_code(user, code, for_time=None):
    """Return ``"totp"`` or ``"recovery"`` if ``code`` completes ``user``'s login (using it up), else None.

    A TOTP code is accepted once (its time step is remembered); a recovery code once
    (it is marked used). Both in one write transaction, so two racing logins cannot
    spend the same code.
    """
    begin_write()
    try:
        user = session.get(User, user.id, populate_existing=True, with_for_update=True)
        if user is None or not user.has_two_factor:
            session.rollback()
            return None
        secret = secretbox.unseal(user.totp_secret)
        if secret is None:
            # The key it was sealed with is gone (SECRET_KEY changed without a fallback):
            # no TOTP code can match now; the recovery codes still can.
            log.error("The two-factor secret of user %s cannot be decrypted: was SECRET_KEY changed?", user.id)
        step = twofactor.verify_totp(secret, code, last_step=user.totp_last_step, for_time=for_time)
        if step is not None:
            user.totp_last_step = step
            if secretbox.needs_resealing(user.totp_secret):
                user.totp_secret = secretbox.seal(secret)
            session.commit()
            return "totp"
        if twofactor.looks_like_recovery_code(code):
            wanted = twofactor.hash_recovery_code(code)
            for row in session.scalars(
                sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            ):
                if hmac.compare_digest(row.code_hash, wanted):
                    row.used_at = utcnow()
                    session.commit()
                    return "recovery"
        session.rollback()
        return None
    except BaseException:
        session.rollback()
        raise


def disable(user):
    """Switch ``user``'s two-factor login off and drop the secret and recovery codes."""
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.commit()
