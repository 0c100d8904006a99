"""Per-person limits on posting: how many tickets and replies one person sends in a window.

One customer posting a thousand replies in twenty seconds would bury the staff in email.
Posts are counted as rows of the login limit's store (``tickets_login_failures``, keyed
``post:{tenant}:{person}:{action}``), so the limit holds across every worker process
and machine that shares the database; rows older than the window are pruned as new ones
are written. A refused post is a 429 page with ``Retry-After``; nothing is stored.
"""

import functools
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import TooManyRequests

from ..db import begin_write, session
from ..models import LoginFailure, utcnow
from ..tenancy.current import get_current_user

#: action -> the config key of its limit per TICKETS_POST_LIMIT_WINDOW.
LIMITS = {"ticket": "TICKETS_POST_LIMIT_TICKETS", "reply": "TICKETS_POST_LIMIT_REPLIES"}


class TooManyPosts(TooManyRequests):
    """A 429 for a person who posted too much; the page says when they may post again."""

    def __init__(self, retry_after):
        minutes = max(1, -(-int(retry_after) // 60))
        super().__init__(
            f"You have sent a lot in a short time. Please wait {minutes} minute{'s' if minutes != 1 else ''} "
            "and send it again: what you typed is still in your browser's back button."
        )
        self.retry_after = retry_after


def record_post(user, action):
    """Count a post of ``user``; return 0 if it may go ahead, else the seconds to wait."""
    config = current_app.config
    limit = config[LIMITS[action]]
    if not limit:
        return 0
    window = config["TICKETS_POST_LIMIT_WINDOW"]
    key = f"post:{int(user.tenant_id)}:{int(user.id)}:{action}"
    now = utcnow()
    since = now - timedelta(seconds=window)
    begin_write()
    session.execute(sa.delete(LoginFailure).where(LoginFailure.key == key, LoginFailure.created_at < since))
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(LoginFailure.created_at)).where(LoginFailure.key == key)
    ).one()
    if count >= limit:
        session.commit()
        return max(1, int((oldest + timedelta(seconds=window) - now).total_seconds()))
    session.add(LoginFailure(key=key, created_at=now))
    session.commit()
    return 0


def limit_posting(action):
    """Decorate a view that posts a ticket or reply: refuse it with 429 past the person's limit."""

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            user = get_current_user()
            if user is not None:
                wait = record_post(user, action)
                if wait:
                    raise TooManyPosts(wait)
            return view(*args, **kwargs)

        return limited

    return decorate
