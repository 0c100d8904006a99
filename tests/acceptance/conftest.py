"""Fixtures of the acceptance suite: SPEC Part 2 (§14–§20) checked through the public surface only.

The staff suite's world and desk (a copy of a prepared SQLite file per test, or PostgreSQL),
the API suite's tokens and OpenAPI-checked client, and the outbox rendered as the worker would.
"""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.mail.compose import Job, build_message
from xobito_tickets.models import OutboxEmail

from ..api.conftest import api, body, tokens  # noqa: F401
from ..staff.conftest import app, desk, field_error, login, snapshot, staff_templates, text_of, ticket_row, world  # noqa: F401

INBOUND_DOMAIN = "in.helpdesk.test"


@pytest.fixture
def app_config(app_config):
    app_config.update(TICKETS_INBOUND_DOMAIN=INBOUND_DOMAIN, MAIL_DEFAULT_SENDER="Helpdesk <helpdesk@helpdesk.test>")
    return app_config


def emails(flask_app, after=0):
    """Return the outbox rows with id > ``after`` rendered as the worker would send them, oldest first.

    Each is ``(row id, recipient, message)`` with ``message`` a Flask-Mail message: ``.subject``,
    ``.body`` (text), ``.html``, ``.reply_to``.
    """
    with flask_app.test_request_context():
        rows = session.scalars(sa.select(OutboxEmail).where(OutboxEmail.id > after).order_by(OutboxEmail.id)).all()
        return [(row.id, row.recipient_email, build_message(Job.from_row(row))) for row in rows]


def last_email_id(flask_app):
    with flask_app.app_context():
        return session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxEmail.id), 0)))
