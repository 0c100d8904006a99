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


_KEY = sa.bindparam("key", type_=sa.String)
_RECENT = sa.and_(LoginFailure.key == _KEY, LoginFailure.created_at >= sa.bindparam("since", type_=UTCDateTime))
#: Add the post's row only while fewer than ``limit`` rows are in the window; RETURNING
#: tells whether it was added. Built once: the statement is the same for every post.
_COUNT_POST = (
    # The table, not the class: an ORM INSERT given parameters would be a bulk insert of them.
    sa.insert(LoginFailure.__table__)
    .from_select(
        ["key", "created_at"],
        sa.select(_KEY, sa.bindparam("now", type_=UTCDateTime)).where(
            sa.select(sa.func.count()).where(_RECENT).scalar_subquery() < sa.bindparam("limit", type_=sa.Integer)
        ),
    )
    .returning(LoginFailure.__table__.c.id)
)
_OLDEST_POST = sa.select(sa.func.min(LoginFailure.created_at)).where(_RECENT)


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
    since = now - window
    added = session.execute(_COUNT_POST, {"key": key, "now": now, "since": since, "limit": limit}).first()
    if added is None:
        oldest = session.scalar(_OLDEST_POST, {"key": key, "since": since})
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
