"""Changes a person makes to their own account."""

import sqlalchemy as sa
from flask import session as cookie_session
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import begin_write, session
from ..models import LoginSession, User

#: The emails a staff member may turn off, with the label shown on the profile page.
#: A customer's emails (receipts, replies to their tickets) are not optional: they are the conversation.
NOTIFICATION_KINDS = ("ticket_created", "reply_posted", "ticket_assigned", "ticket_closed", "ticket_reopened")


def update_profile(user, name, language, timezone, muted):
    """Save ``user``'s name, language (None: the browser's), time zone (None: the default) and muted emails."""
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    user.name = name
    user.language = language or None
    user.timezone = timezone or None
    user.muted_notifications = sorted(set(muted) & set(NOTIFICATION_KINDS)) if user.is_staff else None
    session.commit()
    return user


def set_language(user, language):
    """Save ``user``'s language (from the footer's switch)."""
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    user.language = language
    session.commit()


def password_matches(user, password):
    """Return True if ``password`` is ``user``'s current password."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password or "")


def change_password(user, current, new):
    """Set a new password if ``current`` is right; other sessions of the person end. Return True on success."""
    if not password_matches(user, current):
        return False
    new_hash = generate_password_hash(new)
    begin_write()
    user = session.get(User, user.id, populate_existing=True, with_for_update=True)
    user.password_hash = new_hash
    # A password changed because it leaked must also throw out whoever used it.
    keep = cookie_session.get("tickets_sid")
    session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != str(keep)))
    session.commit()
    return True


def muted(user, kind):
    """Return True if ``user`` turned off emails of ``kind``."""
    return bool(user.muted_notifications) and kind in user.muted_notifications
