"""Fixtures of the people suite: the conftest world, a real SMTP server, and helpers to read links."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, User

from ..mail.conftest import deliver, emails_to, mail_config, smtp_server  # noqa: F401  (fixtures)


@pytest.fixture
def app_config(app_config, mail_config):  # noqa: F811
    app_config.update(mail_config)
    return app_config


def links_in(text):
    """Return the http(s) links of an email's text."""
    return re.findall(r"https?://\S+", text)


def path_of(url):
    """Return the path of an absolute link (the test client is given paths)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def outbox_rows(app, email, kind=None):
    """Return (kind, subject, payload) of the outbox rows for ``email``, oldest first."""
    with app.app_context():
        stmt = sa.select(OutboxEmail).where(OutboxEmail.recipient_email == email).order_by(OutboxEmail.id)
        if kind:
            stmt = stmt.where(OutboxEmail.kind == kind)
        return [(r.kind, r.subject, dict(r.payload)) for r in session.scalars(stmt)]


def user_row(app, email, tenant_id=None):
    """Return the user with ``email`` (detached copy of the columns tests read)."""
    with app.app_context():
        stmt = sa.select(User).where(User.email == email)
        if tenant_id is not None:
            stmt = stmt.where(User.tenant_id == tenant_id)
        user = session.scalar(stmt)
        if user is None:
            return None
        session.expunge(user)
        return user


def totp_now(secret, offset=0):
    """Return the code an authenticator app shows now (``offset`` steps away)."""
    return pyotp.TOTP(secret).at(time.time() + offset * 30)
