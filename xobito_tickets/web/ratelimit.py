"""Per-person limits on posting: how many tickets and replies one person sends in a window.

One customer posting a thousand replies in twenty seconds would bury the staff in email.
A view that posts is marked with :func:`limit_posting`; the ticket services' transaction
then counts the post with :func:`count_marked_post`, inside its own write transaction,
as one ``INSERT … SELECT`` that adds the row only while the person is under the limit. A
refused post raises :class:`TooManyPosts` there, so the transaction rolls back: a 429
page with ``Retry-After``, nothing stored, and no extra round trip for a post that goes
ahead. Posts are rows of the login limit's store (``tickets_login_failures``, keyed
``post:{tenant}:{person}:{action}``), so the limit holds across every worker process and
machine; the ``prune-post-limits`` job removes rows older than the window.
"""

import functools
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from werkzeug.exceptions import TooManyRequests

from ..db import session
from ..jobs import job
from ..models import LoginFailure, UTCDateTime, utcnow
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


def limit_posting(action):
    """Decorate a view that posts a ticket or reply: its write counts against the person's limit."""

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            user = get_current_user()
            if user is not None:
                g.tickets_post_limit = (user.tenant_id, user.id, action)
            return view(*args, **kwargs)

        return limited

    return decorate


def count_marked_post():
    """Count the post the running request was marked for (once); raise TooManyPosts past the limit.

    Called by the ticket services' transaction right after it took the write lock.
    """
    if not has_request_context():
        return
    marked = g.pop("tickets_post_limit", None)
    if marked is None:
        return
    tenant_id, user_id, action = marked
    config = current_app.config
    limit = config[LIMITS[action]]
    if not limit:
        return
    window = timedelta(seconds=config["TICKETS_POST_LIMIT_WINDOW"])
    key = f"post:{int(tenant_id)}:{int(user_id)}:{action}"
    now = utcnow()
    recent = sa.and_(LoginFailure.key == key, LoginFailure.created_at >= now - window)
    under_limit = sa.select(sa.func.count()).where(recent).scalar_subquery() < limit
    added = session.execute(
        sa.insert(LoginFailure)
        .from_select(
            ["key", "created_at"],
            sa.select(sa.literal(key, sa.String), sa.literal(now, UTCDateTime)).where(under_limit),
        )
        .returning(LoginFailure.id)
    ).first()
    if added is None:
        oldest = session.scalar(sa.select(sa.func.min(LoginFailure.created_at)).where(recent))
        raise TooManyPosts(max(1, int(((oldest or now) + window - now).total_seconds())))


@job("prune-post-limits")
def prune_post_limits(app):
    """Delete posting-limit rows older than the window; return how many."""
    since = utcnow() - timedelta(seconds=app.config["TICKETS_POST_LIMIT_WINDOW"])
    deleted = session.execute(
        sa.delete(LoginFailure).where(LoginFailure.key.startswith("post:"), LoginFailure.created_at < since)
    ).rowcount
    session.commit()
    return deleted
